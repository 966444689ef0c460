/**
 * A uPlot chart of values per day: one series per name, days on the x axis. uPlot draws on a canvas, so the
 * chart gets an accessible name and the figures are also in a table on the page.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Drawn as bars (counts) instead of a line. */
  bars?: boolean;
  /** The right-hand axis (e.g. a rate in %). */
  right?: boolean;
}

/** Colours that stay apart for the colour-blind (Okabe-Ito), in order of use. */
export const palette = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#999999',
];

/** Tick steps for counts: 1, 2, 5, 10, 20, 50, ... */
const wholeSteps = Array.from({ length: 10 }, (_, power) =>
  [1, 2, 5].map((step) => step * 10 ** power),
).flat();

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function TimeChart({
  title,
  days,
  series,
  format,
  formatRight,
  integers = false,
  height = 300,
}: {
  title: string;
  /** Unix seconds of each day's start. */
  days: number[];
  series: ChartSeries[];
  format: (value: number) => string;
  formatRight?: (value: number) => string;
  /** Counts: ticks only at whole numbers. */
  integers?: boolean;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const text = cssColor('--text', '#1b1f24');
    const grid = cssColor('--line', '#d7dce2');
    const axis = (side: 'left' | 'right', formatter: (v: number) => string): uPlot.Axis => ({
      stroke: text,
      grid: { stroke: grid, width: 1, show: side === 'left' },
      ticks: { stroke: grid },
      scale: side === 'left' ? 'y' : 'r',
      side: side === 'left' ? 3 : 1,
      size: 90,
      font: '16px system-ui, sans-serif',
      values: (_u, ticks) => ticks.map(formatter),
      ...(integers && side === 'left' && { incrs: wholeSteps }),
    });
    const bars = uPlot.paths.bars?.({ size: [0.7, 60] });
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height,
        // The legend names the series; values show on hover only in a table-less chart, and the tables hold them.
        legend: { live: false },
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
          r: { range: [0, 100] },
        },
        axes: [
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            font: '16px system-ui, sans-serif',
          },
          axis('left', format),
          ...(formatRight ? [axis('right', formatRight)] : []),
        ],
        series: [
          {},
          ...series.map(
            (s): uPlot.Series => ({
              label: s.label,
              stroke: s.color,
              width: 2,
              scale: s.right ? 'r' : 'y',
              value: (_u, v) => (v === null ? '–' : (s.right ? (formatRight ?? format) : format)(v)),
              ...(s.bars && bars
                ? { paths: bars, fill: `${s.color}cc` }
                : { points: { show: true, size: 7, fill: s.color } }),
            }),
          ),
        ],
      },
      [days, ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days, series, format, formatRight, integers, height]);

  return <div ref={box} className="chart" role="img" aria-label={title} />;
}
