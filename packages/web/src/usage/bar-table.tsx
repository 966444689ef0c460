/** A table whose value column carries a bar, so the largest stand out at a glance (and read as numbers). */
export interface BarRow {
  key: string;
  cells: string[];
  value: number;
  shown: string;
  extra?: string;
}

export function BarTable({
  caption,
  headers,
  valueHeader,
  extraHeader,
  rows,
}: {
  caption: string;
  headers: string[];
  valueHeader: string;
  extraHeader?: string;
  rows: BarRow[];
}) {
  const max = Math.max(1, ...rows.map((row) => row.value));
  return (
    <table className="bar-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {headers.map((header) => (
            <th key={header} scope="col">
              {header}
            </th>
          ))}
          {extraHeader && (
            <th scope="col" className="num">
              {extraHeader}
            </th>
          )}
          <th scope="col">{valueHeader}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            {row.cells.map((cell, i) => (
              <td key={headers[i]}>{cell}</td>
            ))}
            {extraHeader && <td className="num">{row.extra}</td>}
            <td className="bar-cell">
              <span className="bar" style={{ width: `${(100 * row.value) / max}%` }} aria-hidden="true" />
              <span className="bar-value">{row.shown}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
