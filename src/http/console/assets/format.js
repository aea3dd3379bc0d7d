// How numbers and times read on the page.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1234567 -> "1.2 MiB". */
export function bytes(n) {
  if (n === null || n === undefined) return '-';
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** Unix seconds -> "2026-12-01 10:22" in the reader's time zone. */
export function date(unix) {
  if (!unix) return '-';
  const d = new Date(unix * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "512 × 512", or "-" for files without pixels. */
export function pixels(width, height) {
  return width && height ? `${width} × ${height}` : '-';
}

/** The extension of a file name, lower-case, without the dot ("" when it has none). */
export function extension(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
