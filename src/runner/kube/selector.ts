// Equality label selectors (the only form values files allow): parse once, match objects read from the API.

export interface Requirement {
  readonly key: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** `a=b,c!=d` → requirements. `==` is the same as `=`. */
export function parseSelector(s: string): Requirement[] {
  return s
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
      if (!m) throw new Error(`not an equality label selector: ${part}`);
      return { key: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
    });
}

export function matches(labels: Readonly<Record<string, string>> | undefined, selector: string): boolean {
  const l = labels ?? {};
  return parseSelector(selector).every((r) => (r.op === '=' ? l[r.key] === r.value : l[r.key] !== r.value));
}
