import { cellText } from './entities.js';

/** A result table; `testId` names it for the browser tests. */
export function ResultTable(props: { columns: readonly string[]; rows: readonly (readonly unknown[])[]; testId?: string; onRow?: (i: number) => void; class?: string }) {
  return (
    <div class={`table-wrap ${props.class ?? ''}`}>
      <table class="result" data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i} class={props.onRow ? 'clickable' : undefined} onClick={props.onRow ? () => props.onRow!(i) : undefined}>
              {r.map((v, j) => (
                <td key={j} class={v === null || v === undefined ? 'null' : undefined}>
                  {cellText(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
