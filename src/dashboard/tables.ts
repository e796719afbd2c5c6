// A table the page shows and the CSV a user downloads, built from one model, so the download is
// exactly what the table shows (times as ISO UTC, durations in seconds, where a table shows them
// in the viewer's words).
import { stringify } from 'csv-stringify/browser/esm/sync';

export type Raw = string | number | null;

export interface Column {
  /** Header of the table. */
  label: string;
  /** Header of the CSV column. */
  csv: string;
  numeric?: boolean;
  /** Hidden on a phone. */
  wide?: boolean;
}

export interface Cell {
  /** What the table shows. */
  text: string;
  /** What the CSV holds. */
  raw: Raw;
  /** A title on hover, e.g. the same time in UTC. */
  title?: string;
}

export interface TableModel {
  columns: Column[];
  rows: Cell[][];
}

/** Renders the model into a table's head and body. */
export function renderTable(table: HTMLTableElement, model: TableModel): void {
  const head = table.tHead ?? table.createTHead();
  head.replaceChildren();
  const headRow = head.insertRow();
  const classes = model.columns.map(columnClass);
  model.columns.forEach((column, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = column.label;
    if (classes[i]) th.className = classes[i];
    headRow.append(th);
  });
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren();
  for (const row of model.rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const td = tr.insertCell();
      td.textContent = cell.text;
      if (cell.title) td.title = cell.title;
      if (classes[i]) td.className = classes[i];
    });
  }
}

/** A column's cells are right-aligned when numeric, and hidden on a phone when wide. */
const columnClass = (column: Column) =>
  [column.numeric && 'num', column.wide && 'wide'].filter(Boolean).join(' ');

export function toCsv(header: readonly string[], rows: readonly Raw[][]): string {
  return stringify(rows as Raw[][], {
    header: true,
    columns: [...header],
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
  });
}

export const modelCsv = (model: TableModel) =>
  toCsv(
    model.columns.map((c) => c.csv),
    model.rows.map((row) => row.map((c) => c.raw)),
  );

/** Makes the browser download text as a CSV file. */
export function download(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
