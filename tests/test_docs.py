"""The documentation stays true to the tree: README.md and docs/**/*.md.

- every relative link resolves to a file (and every ``#anchor`` into a markdown file to one of
  its headings, by GitHub's slug rule);
- every command line quoted in the docs that runs a project tool names a tool under
  ``tools/``, and every ``configs/...py`` (and other project path) mentioned names a file that
  exists;
- the README stays a short front page.

Standard library and pytest only: it runs without the project's environment, e.g.
``python3.11 -m pytest --noconftest tests/test_docs.py -q``.
"""
import re
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / 'README.md'
#: A front page, not a manual (mmseg project READMEs run 100-200 lines).
README_MAX_LINES = 200


def doc_files() -> List[Path]:
    """README.md and every markdown file under docs/, sorted."""
    docs = sorted((ROOT / 'docs').rglob('*.md')) if (ROOT / 'docs').is_dir() else []
    return [README] + docs


DOC_FILES = doc_files()


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ------------------------------------------------------------------------------ markdown text
FENCE_RE = re.compile(r'^\s*(```|~~~)')
#: an inline code span; it may wrap onto the next line but not cross a blank line
INLINE_CODE_RE = re.compile(r'(`+)((?:(?!\n[ \t]*\n)[^`])+?)\1')


class Line(NamedTuple):
    number: int  # 1-based
    text: str
    in_code_block: bool


def md_lines(text: str) -> Iterator[Line]:
    """The lines of a markdown text, each flagged inside / outside a fenced code block (the
    fence lines themselves count as inside)."""
    in_block = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE_RE.match(line):
            in_block = not in_block
            yield Line(number, line, True)
            continue
        yield Line(number, line, in_block)


def prose(text: str) -> str:
    """The text with the lines of fenced code blocks emptied (line numbers kept)."""
    return '\n'.join('' if line.in_code_block else line.text for line in md_lines(text))


def line_of(text: str, offset: int) -> int:
    return text.count('\n', 0, offset) + 1


def inline_code_spans(text: str) -> Iterator[Tuple[int, str]]:
    """``(line number, content)`` of every inline code span outside code blocks."""
    outside = prose(text)
    for match in INLINE_CODE_RE.finditer(outside):
        yield line_of(outside, match.start()), ' '.join(match.group(2).split())


def without_inline_code(text: str) -> str:
    """:func:`prose` with inline code spans blanked (newlines kept)."""
    return INLINE_CODE_RE.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), prose(text))


# ------------------------------------------------------------------------------------- links
LINK_RE = re.compile(r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"]*")?\s*\)')
EXTERNAL_RE = re.compile(r'^(?:[a-z][a-z0-9+.-]*:|//)', re.IGNORECASE)  # http:, mailto:, ...


def github_slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, markdown links reduced to their text,
    punctuation other than ``-`` and ``_`` removed, spaces to ``-``."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip())
    text = text.lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def heading_slugs(text: str) -> Set[str]:
    """The anchors of a markdown text's ATX headings, with GitHub's ``-1``, ``-2`` ... suffixes
    for repeated headings."""
    slugs: Set[str] = set()
    seen = {}
    for line in md_lines(text):
        if line.in_code_block:
            continue
        match = re.match(r'^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$', line.text)
        if not match:
            continue
        slug = github_slug(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f'{slug}-{count}')
    return slugs


def links(text: str) -> Iterator[Tuple[int, str]]:
    """``(line number, target)`` of every markdown link outside code (link texts may wrap)."""
    outside = without_inline_code(text)
    for match in LINK_RE.finditer(outside):
        yield line_of(outside, match.start()), match.group(1)


def link_problems(path: Path, text: Optional[str] = None) -> List[str]:
    """What is wrong with the relative links of one markdown file (``text``: its contents,
    read from ``path`` when not given)."""
    if text is None:
        text = path.read_text(encoding='utf-8')
    problems = []
    for number, target in links(text):
        if EXTERNAL_RE.match(target):
            continue
        file_part, _, anchor = target.partition('#')
        where = f'{rel(path)}:{number}: link ({target})'
        if file_part:
            dest = (path.parent / file_part).resolve()
            if not dest.exists():
                problems.append(f'{where}: {file_part} does not exist')
                continue
            try:
                dest.relative_to(ROOT)
            except ValueError:
                problems.append(f'{where}: points outside the repository')
                continue
        else:
            dest = path
        if anchor and dest.suffix == '.md':
            target_text = text if dest == path else dest.read_text(encoding='utf-8')
            if anchor not in heading_slugs(target_text):
                problems.append(f'{where}: no heading with the anchor #{anchor} in {rel(dest)}')
    return problems


@pytest.mark.parametrize('path', DOC_FILES, ids=rel)
def test_relative_links_resolve(path):
    problems = link_problems(path)
    assert not problems, 'broken links:\n' + '\n'.join(problems)


# ----------------------------------------------------------------- commands and project paths
#: a path token of the project: tools/, configs/, projects/, tests/, requirements/ files
PATH_RE = re.compile(r'(?<![\w./-])(?:\.\./|\./)*'
                     r'((?:tools|configs|projects|tests|requirements)/'
                     r'(?:[\w.*<>|+-]|/|\{[^{}\s]*\})*)')
MIM_RE = re.compile(r'\bmim\s+(train|test)\s+mmseg\s+(\S+)')
#: a token standing for the user's value: CONFIG, CHECKPOINT, <backbone>, *, ..., $VAR
PLACEHOLDER_RE = re.compile(r'<|>|\*|\.\.\.|\$|\b[A-Z][A-Z0-9_]*\b')
TOOL_TOKEN_RE = re.compile(r'^(?:\./)?(tools/[\w./-]+\.(?:py|sh))$')
ENV_ASSIGNMENT_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=\S*$')
INTERPRETER_RE = re.compile(r'^(?:\S*/)?(?:python[\d.]*|bash|sh)$')
#: tokens after which a new command starts
COMMAND_SEPARATORS = {'&&', '||', ';', '|', '$', '(', 'then', 'do', 'exec', 'time'}


def expand_braces(token: str) -> List[str]:
    """``configs/transavs_r50_{s4,ms3}.py`` -> both paths (nested and repeated braces too)."""
    match = re.search(r'\{([^{}]*)\}', token)
    if not match:
        return [token]
    out = []
    for choice in match.group(1).split(','):
        out.extend(expand_braces(token[:match.start()] + choice + token[match.end():]))
    return out


def is_placeholder(token: str) -> bool:
    """A token that stands for a user's value: CONFIG, <backbone>, *, ..."""
    return bool(PLACEHOLDER_RE.search(token))


def code_texts(text: str) -> Iterator[Tuple[int, str]]:
    """``(line number, text)`` of every fenced code line and every inline code span."""
    for line in md_lines(text):
        if line.in_code_block and not FENCE_RE.match(line.text):
            yield line.number, line.text
    yield from inline_code_spans(text)


def tool_runs(code: str) -> List[str]:
    """The tools that a shell line runs: ``[ENV=...] python[3.x] [-opts] tools/X.py ...``,
    ``bash tools/X.sh``, or ``tools/X.sh ARGS`` at the start of a command. A bare mention
    (a code span holding only ``tools/train.py``) runs nothing."""
    tokens = code.split()
    runs = []
    start = True  # at the start of a command
    interpreter = False  # a python / bash token (and its options) came just before
    for index, token in enumerate(tokens):
        if token.startswith('#'):
            break  # a shell comment
        if token in COMMAND_SEPARATORS:
            start, interpreter = True, False
            continue
        if start and ENV_ASSIGNMENT_RE.match(token):
            continue
        if (start or interpreter) and INTERPRETER_RE.match(token):
            start, interpreter = False, True
            continue
        if interpreter and token.startswith('-') and token != '-m':
            continue  # an interpreter option (python -u ...); -m runs a module instead
        match = TOOL_TOKEN_RE.match(token.rstrip(';'))
        if match and (interpreter or (start and index + 1 < len(tokens))):
            runs.append(match.group(1))
        start = token.endswith(';')
        interpreter = False
    return runs


def path_tokens(line: str) -> Iterator[str]:
    """The project path tokens of a line that name a file (an extension) or a folder (a
    trailing ``/``), brace patterns expanded, placeholders skipped."""
    for match in PATH_RE.finditer(line):
        token = match.group(1).rstrip('.,;:)')
        for path in expand_braces(token):
            if is_placeholder(path):
                continue
            if path.endswith('/') or re.search(r'\.[A-Za-z]+$', path.rsplit('/', 1)[-1]):
                yield path


def scan_doc(text: str, name: str) -> Tuple[List[str], List[str]]:
    """Scans one markdown text.

    Returns:
        tuple[list[str], list[str]]: the command lines found that run a project tool or
        ``mim train|test mmseg`` (``name:line: text``), and the problems, each naming the
        file, the line and what is missing: a tool run that names no file under ``tools/``,
        a ``mim`` config, or any ``configs/``, ``tools/``, ``projects/``, ``tests/`` or
        ``requirements/`` path in the text (code, prose, link targets) that does not exist.
    """
    commands, problems = [], []
    reported = set()
    for number, code in code_texts(text):
        runs = tool_runs(code)
        for tool in runs:
            if not is_placeholder(tool) and not (ROOT / tool).is_file():
                problems.append(f'{name}:{number}: runs {tool}, which does not exist: '
                                f'{code.strip()}')
                reported.add((number, tool))
        mims = MIM_RE.findall(code)
        for verb, config in mims:
            for path in expand_braces(config):
                if not is_placeholder(path) and not (ROOT / path).is_file():
                    problems.append(f'{name}:{number}: mim {verb} names {path}, which does '
                                    f'not exist: {code.strip()}')
                    reported.add((number, path))
        if runs or mims:
            commands.append(f'{name}:{number}: {code.strip()}')
    for line in md_lines(text):
        for path in path_tokens(line.text):
            if (line.number, path) not in reported and not (ROOT / path).exists():
                kind = 'config' if path.startswith('configs/') else 'path'
                problems.append(f'{name}:{line.number}: {kind} {path} does not exist: '
                                f'{line.text.strip()}')
                reported.add((line.number, path))
    return commands, problems


@pytest.mark.parametrize('path', DOC_FILES, ids=rel)
def test_commands_name_existing_tools_and_configs(path):
    _, problems = scan_doc(path.read_text(encoding='utf-8'), rel(path))
    assert not problems, 'stale commands or paths:\n' + '\n'.join(problems)


def test_the_scan_finds_the_commands():
    """The scanner sees the docs' command lines, so the test above cannot pass vacuously."""
    commands = []
    for path in DOC_FILES:
        commands += scan_doc(path.read_text(encoding='utf-8'), rel(path))[0]
    assert len(commands) > 20, f'only {len(commands)} tool command lines found:\n' + \
        '\n'.join(commands)
    assert any('mim train mmseg' in c for c in commands)
    assert any('tools/dist_train.sh' in c for c in commands)


def test_the_scan_reports_what_is_missing():
    fake = '\n'.join([
        '# Fake',
        '',
        'Run `python tools/does_not_exist.py --out x` first.',
        '```bash',
        'python tools/train.py configs/transavs_r50_{s4,nope}.py',
        'NNODES=2 tools/also_missing.sh CONFIG 8',
        'mim test mmseg configs/missing_config.py --checkpoint PUBLISHED.pth',
        'python tools/test.py CONFIG CHECKPOINT --out preds/',
        'python tools/train.py configs/transavs_<backbone>_s4.py',
        '```',
    ])
    commands, problems = scan_doc(fake, 'fake.md')
    assert len(commands) == 6, commands
    assert len(problems) == 4, problems
    text = '\n'.join(problems)
    assert 'fake.md:3: runs tools/does_not_exist.py, which does not exist' in text
    assert 'fake.md:5: config configs/transavs_r50_nope.py does not exist' in text
    assert 'fake.md:6: runs tools/also_missing.sh, which does not exist' in text
    assert 'fake.md:7: mim test names configs/missing_config.py, which does not exist' in text


def test_github_slugs():
    assert github_slug('Negative audio: does the model listen?') == \
        'negative-audio-does-the-model-listen'
    assert github_slug('Scoring folders of masks: `evaluate_masks.py`') == \
        'scoring-folders-of-masks-evaluate_maskspy'
    assert github_slug('Inference (eq. 14-15)') == 'inference-eq-14-15'
    assert heading_slugs('# A\n## A\n```\n# not a heading\n```\n') == {'a', 'a-1'}


def test_link_checker_reports_broken_links():
    fake = ROOT / 'docs' / 'en' / '_fake.md'  # never written: the text is given
    text = ('# Fake\n\n[a](get_started.md#no-such-heading) [b](nowhere.md) [c](#fake)\n'
            '[d](https://example.com/x) `[e](nowhere_in_code.md)` [f\nwrapped](gone.md)\n'
            '```\n[g](nowhere_in_a_block.md)\n```\n')
    problems = '\n'.join(link_problems(fake, text))
    assert 'docs/en/_fake.md:3: link (get_started.md#no-such-heading): no heading with the ' \
        'anchor #no-such-heading' in problems
    assert 'docs/en/_fake.md:3: link (nowhere.md): nowhere.md does not exist' in problems
    assert 'docs/en/_fake.md:4: link (gone.md)' in problems
    assert '#fake' not in problems and 'example.com' not in problems
    assert 'in_code' not in problems and 'in_a_block' not in problems
    assert len(problems.splitlines()) == 3


def test_the_index_links_every_doc():
    index = ROOT / 'docs' / 'en' / 'index.md'
    if not index.is_file():
        pytest.skip('no docs/en/index.md')
    linked = {(index.parent / target.partition('#')[0]).resolve()
              for _, target in links(index.read_text(encoding='utf-8'))
              if not EXTERNAL_RE.match(target) and target.partition('#')[0]}
    orphans = [rel(path) for path in DOC_FILES[1:] if path != index and path not in linked]
    assert not orphans, f'docs/en/index.md does not link {orphans}'


def test_readme_is_a_short_front_page():
    lines = README.read_text(encoding='utf-8').splitlines()
    assert len(lines) < README_MAX_LINES, \
        f'README.md has {len(lines)} lines; keep it under {README_MAX_LINES} and move ' \
        'details into docs/en/'
