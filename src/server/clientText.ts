// Text a client chose (a channel id) echoed back in a response or a log line
// is bounded, so a client cannot make the server write megabytes per request.

const CLIENT_TEXT_MAX_CHARS = 64;

export function truncate(text: string): string {
  return text.length <= CLIENT_TEXT_MAX_CHARS ? text : `${text.slice(0, CLIENT_TEXT_MAX_CHARS)}…`;
}
