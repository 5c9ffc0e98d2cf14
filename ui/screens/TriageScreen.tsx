import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useRef, useState } from 'react';
import type { TriageReport } from '../../src/report/triage-report.js';
import { evidenceShort } from '../../src/report/describe-source.js';
import { safeLine } from '../../src/untrusted.js';
import { ChangeList } from '../components/ChangeList.js';
import { Footer } from '../components/Footer.js';
import { footerLines } from '../presentation/footer-lines.js';
import {
  filterChanges,
  KIND_CYCLE,
  nextIn,
  SEVERITY_CYCLE,
  type ChangeFilter,
} from '../presentation/change-filter.js';
import { colour } from '../presentation/colour.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';

export interface Props {
  readonly report: TriageReport;
  readonly width: number;
  readonly height: number;
  readonly onOpen: (path: string) => void;
  readonly onFindings: () => void;
  readonly onProcesses: () => void;
  readonly onExport: () => void;
  readonly onRelaunch: () => void;
}

export const TRIAGE_KEYS = [
  ['↑↓', 'move'],
  ['enter', 'open'],
  ['t', 'tree/flat'],
  ['k', 'kind'],
  ['s', 'severity'],
  ['/', 'search'],
  ['f', 'findings'],
  ['p', 'processes'],
  ['e', 'export'],
  ['r', 'restart clean'],
  ['?', 'help'],
  ['q', 'quit'],
] as const;

/** The change list of a finished triage, with filters, search and the actions. */
export function TriageScreen({
  report,
  width,
  height,
  onOpen,
  onFindings,
  onProcesses,
  onExport,
  onRelaunch,
}: Props) {
  const [selected, setSelectedState] = useState(0);
  // Keys can arrive faster than renders: the handler reads the selection from a ref, not a stale closure.
  const selectedRef = useRef(0);
  const setSelected = (next: number | ((s: number) => number)) => {
    selectedRef.current = typeof next === 'function' ? next(selectedRef.current) : next;
    setSelectedState(selectedRef.current);
  };
  const [isTree, setTree] = useState(false);
  const [filter, setFilter] = useState<ChangeFilter>({
    kind: 'all',
    minSeverity: 'all',
    search: '',
  });
  const [isSearching, setSearchingState] = useState(false);
  const searchingRef = useRef(false);
  const setSearching = (value: boolean) => {
    searchingRef.current = value;
    setSearchingState(value);
  };
  const shown = filterChanges(report.changes, filter, isTree);
  const clamp = (n: number) => Math.max(0, Math.min(n, shown.length - 1));

  useScreenKeys((input, key) => {
    if (searchingRef.current) {
      if (key.return || key.escape) setSearching(false);
      else if (key.backspace || key.delete)
        setFilter((f) => ({ ...f, search: f.search.slice(0, -1) }));
      else if (input && !key.ctrl && !key.meta)
        setFilter((f) => ({ ...f, search: f.search + input }));
      setSelected(0);
      return;
    }
    if (key.upArrow) setSelected((s) => clamp(s - 1));
    else if (key.downArrow) setSelected((s) => clamp(s + 1));
    else if (key.pageUp) setSelected((s) => clamp(s - 10));
    else if (key.pageDown) setSelected((s) => clamp(s + 10));
    else if (key.return && shown[selectedRef.current]) onOpen(shown[selectedRef.current]!.path);
    else if (input === 't') setTree((t) => !t);
    else if (input === 'k') setFilter((f) => ({ ...f, kind: nextIn(KIND_CYCLE, f.kind) }));
    else if (input === 's')
      setFilter((f) => ({ ...f, minSeverity: nextIn(SEVERITY_CYCLE, f.minSeverity) }));
    else if (input === '/') setSearching(true);
    else if (input === 'f') onFindings();
    else if (input === 'p') onProcesses();
    else if (input === 'e') onExport();
    else if (input === 'r') onRelaunch();
    else return;
    if (input === 't' || input === 'k' || input === 's') setSelected(0);
  });

  const c = report.counts;
  const headerRows = report.hostCompromise.isSuspected ? 4 : 3;
  const keys = isSearching
    ? ([
        ['type', 'to search'],
        ['enter/esc', 'done'],
      ] as const)
    : TRIAGE_KEYS;
  const footerRows = footerLines(keys, width).length;
  return (
    <Box flexDirection="column">
      {report.hostCompromise.isSuspected ? (
        <Text color={colour('red')} bold wrap="truncate">
          TREAT THE HOST AS COMPROMISED: {safeLine(report.hostCompromise.reasons.join('; '), 400)}
        </Text>
      ) : null}
      <Text bold wrap="truncate">
        {safeLine(report.container.name, 100)}: {c.added} added, {c.changed} changed, {c.deleted}{' '}
        deleted · {c.bySeverity.critical} critical, {c.bySeverity.high} high
      </Text>
      <Text dimColor wrap="truncate">
        evidence {safeLine(evidenceShort(report.evidence), 200)} · case {report.caseDir}
      </Text>
      <Text wrap="truncate">
        view {isTree ? 'tree' : 'ranked'} · kind {filter.kind} · severity{' '}
        {filter.minSeverity === 'all' ? 'all' : `${filter.minSeverity}+`} · search{' '}
        {isSearching ? `${filter.search}▏` : filter.search || '-'} · {shown.length} shown
      </Text>
      <ChangeList
        changes={shown}
        width={width}
        height={Math.max(2, height - headerRows - 2 - footerRows)}
        selected={selected}
        isTree={isTree}
      />
      <Footer keys={keys} width={width} />
    </Box>
  );
}
