/** Heroku's layout: step lines start with `-----> `, everything else is indented by 7 spaces. */
export function indent(line: string): string {
  if (line.startsWith('----->') || line.startsWith(' !') || line.startsWith('       ')) return line;
  return line === '' ? '' : `       ${line}`;
}

export function step(text: string): string {
  return `-----> ${text}`;
}

export function warning(text: string): string {
  return ` !     ${text}`;
}
