"""Per-object recall: one sounding query's mask must cover an object at IoU >= 0.5."""
import pytest
import torch

from projects.transavs.evaluation import query_predictions, recalled_objects


def _objects():
    small = torch.zeros(8, 8, dtype=torch.bool)
    small[0:4, 0:4] = True  # 16 pixels
    large = torch.zeros(8, 8, dtype=torch.bool)
    large[4:8, 0:8] = True  # 32 pixels
    return torch.stack([small, large])


def test_one_query_per_object_and_a_union_query():
    objects = _objects()
    union = objects[0] | objects[1]
    shifted = torch.roll(objects[0], 1, dims=1)  # IoU 12 / 20 = 0.6 with the small one
    queries = torch.stack([objects[0], union, shifted, objects[1]])
    sounding = torch.tensor([True, True, True, False])
    # the small object: its own query (IoU 1); the large one: the union query covers it at
    # IoU 32 / 48 >= 0.5, although that query also covers the small one (IoU 16 / 48)
    assert recalled_objects(queries, sounding, objects).tolist() == [True, True]
    # the union query alone recalls only the large object
    only_union = torch.tensor([False, True, False, False])
    assert recalled_objects(queries, only_union, objects).tolist() == [False, True]
    # the shifted query alone: IoU 0.6 recalls, a stricter threshold does not
    only_shifted = torch.tensor([False, False, True, False])
    assert recalled_objects(queries, only_shifted, objects).tolist() == [True, False]
    assert recalled_objects(queries, only_shifted, objects, 0.7).tolist() == [False, False]
    # queries that predict no sounding class never count, however well they fit
    assert recalled_objects(queries[3:], torch.tensor([False]), objects[1:]).tolist() == [False]
    assert recalled_objects(queries[3:], torch.tensor([True]), objects[1:]).tolist() == [True]
    assert recalled_objects(queries, torch.zeros(4, dtype=torch.bool),
                            objects).tolist() == [False, False]
    with pytest.raises(ValueError, match='differ in size'):
        recalled_objects(queries[:, :4], sounding, objects)


def test_query_predictions_classes_and_masks():
    # K = 3 real classes (background, two sounding) + "no object"
    probs = torch.tensor([[[0.1, 0.6, 0.1, 0.2],    # sounding class 1
                           [0.7, 0.1, 0.1, 0.1],    # background
                           [0.1, 0.2, 0.3, 0.4],    # "no object" wins, though class 2 is second
                           [0.1, 0.1, 0.5, 0.3]]])  # sounding class 2
    masks = torch.full((1, 4, 2, 2), -3.0)
    masks[0, 0, 0, 0] = 3.0
    got_masks, sounding = query_predictions(probs.log(), masks, (4, 4), num_classes=3)
    assert sounding.tolist() == [[True, False, False, True]]
    assert got_masks.shape == (1, 4, 4, 4) and got_masks.dtype == torch.bool
    assert got_masks[0, 0, 0, 0] and not got_masks[0, 0, 3, 3] and not got_masks[0, 1].any()
