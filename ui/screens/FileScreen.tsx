import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useState } from 'react';
import type { ChangedPath } from '../../src/report/change.js';
import { Footer } from '../components/Footer.js';
import { colour } from '../presentation/colour.js';
import { fileLines, type LineKind } from '../presentation/file-lines.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';

export interface Props {
  readonly change: ChangedPath;
  readonly height: number;
  readonly onBack: () => void;
}

const STYLE: Record<LineKind, { color?: string; bold?: boolean; dim?: boolean }> = {
  title: { bold: true },
  meta: {},
  note: { color: 'yellow' },
  add: { color: 'green' },
  del: { color: 'red' },
  hunk: { color: 'cyan' },
  plain: {},
};

/** One changed path: metadata side by side, where the original came from, the diff; scrollable. */
export function FileScreen({ change, height, onBack }: Props) {
  const lines = fileLines(change);
  const page = Math.max(1, height - 2);
  const last = Math.max(0, lines.length - page);
  const [top, setTop] = useState(0);
  const to = (n: number) => setTop(Math.max(0, Math.min(n, last)));
  useScreenKeys((input, key) => {
    if (key.escape || input === 'b') onBack();
    else if (key.upArrow) to(top - 1);
    else if (key.downArrow) to(top + 1);
    else if (key.pageUp) to(top - page);
    else if (key.pageDown || input === ' ') to(top + page);
    else if (input === 'g') to(0);
    else if (input === 'G') to(last);
  });
  return (
    <Box flexDirection="column">
      {lines.slice(top, top + page).map((line, i) => {
        const style = STYLE[line.kind];
        return (
          <Text
            key={top + i}
            wrap="truncate"
            color={colour(style.color)}
            bold={style.bold ?? false}
          >
            {line.text || ' '}
          </Text>
        );
      })}
      <Footer
        status={`lines ${top + 1}-${Math.min(lines.length, top + page)} of ${lines.length}`}
        keys={[
          ['↑↓', 'scroll'],
          ['PgUp/PgDn', 'page'],
          ['g/G', 'top/bottom'],
          ['esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
