/** A status word with a colour class, so done/failed/running read at a glance (the word stays for colour-blind users). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.replace(/[^a-z-]/g, '')}`}>{status}</span>;
}
