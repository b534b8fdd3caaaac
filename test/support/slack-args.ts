// What a call to Slack's Web API carried, for the stand-ins of the Web API in tests
// (slack-harness.ts through nock, slack-outage-api.ts as a real HTTP server).

/** A Web API call's arguments (form or JSON), with JSON-valued fields (blocks, users) parsed. */
export function decodeArgs(text: string, contentType: string | null | undefined): Record<string, any> {
  let raw: Record<string, unknown> = {};
  if (contentType?.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
    } catch {
      // left empty: the call is answered as one without arguments
    }
  } else {
    raw = Object.fromEntries(new URLSearchParams(text));
  }
  const args: Record<string, any> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' && /^[[{]/.test(value)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // plain text that starts with a bracket
      }
    }
    args[key] = value;
  }
  return args;
}
