import { Text as InkText, type TextProps } from 'ink';
import { Children, type ReactNode } from 'react';
import { forTerminal } from '../../src/untrusted.js';

export type Props = TextProps;

/**
 * One row of the screen as the terminal will see it: ink writes a string as it is, so an
 * escape sequence, a bidi override or a line break in a container's name would act on the
 * terminal (issue 24). Every string drawn passes here (a test refuses ink's own Text
 * elsewhere), the same last step as `forTerminal` is for the command line: a character a
 * terminal would act on is shown as its escape, whatever field a screen forgot; a line
 * break too, since a row is one line and a forged one could pass for coroner's own.
 * Styles (colour, bold, inverse) are props, drawn by ink, never text.
 */
export function Text({ children, 'aria-label': ariaLabel, ...style }: Props) {
  return (
    <InkText {...style} {...(ariaLabel === undefined ? {} : { 'aria-label': shown(ariaLabel) })}>
      {Children.map(children, (child: ReactNode) =>
        typeof child === 'string' ? shown(child) : child,
      )}
    </InkText>
  );
}

function shown(text: string): string {
  return forTerminal(text).replaceAll('\n', '\\n');
}
