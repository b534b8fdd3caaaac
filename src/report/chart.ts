import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { percent, type ReportFigures } from '../domain/report.js';

/**
 * The report's chart, drawn on the server without a browser: Apache ECharts renders to an SVG
 * string (its server-side rendering mode needs no DOM), and resvg (Rust, shipped as a prebuilt
 * N-API binary) turns the SVG into a PNG with the system's DejaVu fonts. Left: sessions by staff
 * group and type; right: the share of each mandatory group that is compliant.
 */

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 560;

const TYPE_NAMES = { MANDATORY: 'Mandatory', ON_REQUEST: 'On request', CHILD_DEATH: 'Child death' } as const;
/** NHS identity colours: blue, aqua green, warm yellow. */
const COLOURS = ['#005eb8', '#00a499', '#ffb81c'];

export function chartOption(figures: ReportFigures, title: string): echarts.EChartsCoreOption {
  const shownSessions = figures.sessions.filter((r) => !r.suppressed);
  const groups = [...new Set(shownSessions.map((r) => r.staffGroup))].sort();
  const types = Object.keys(TYPE_NAMES) as Array<keyof typeof TYPE_NAMES>;
  const compliance = figures.compliance.filter((r) => !r.suppressed);
  return {
    animation: false,
    color: COLOURS,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'DejaVu Sans' },
    title: [
      { text: title, left: 'center', top: 8, textStyle: { fontSize: 18 } },
      { text: 'Sessions by staff group and type', left: '4%', top: 44, textStyle: { fontSize: 13 } },
      { text: 'Mandatory groups: share compliant', left: '56%', top: 44, textStyle: { fontSize: 13 } },
    ],
    legend: { bottom: 6, itemGap: 24, data: types.map((t) => TYPE_NAMES[t]) },
    grid: [
      { left: '4%', right: '52%', top: 80, bottom: 50, containLabel: true },
      { left: '56%', right: '7%', top: 80, bottom: 50, containLabel: true },
    ],
    xAxis: [
      { type: 'value', gridIndex: 0, minInterval: 1 },
      { type: 'value', gridIndex: 1, min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    ],
    yAxis: [
      { type: 'category', gridIndex: 0, data: groups.length ? groups : ['No sessions'], inverse: true, axisLabel: { width: 170, overflow: 'truncate' } },
      { type: 'category', gridIndex: 1, data: compliance.length ? compliance.map((r) => r.staffGroup) : ['No mandatory groups'], inverse: true, axisLabel: { width: 170, overflow: 'truncate' } },
    ],
    series: [
      ...types.map((type) => ({
        name: TYPE_NAMES[type],
        type: 'bar',
        stack: 'sessions',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: groups.map((g) => shownSessions.filter((r) => r.staffGroup === g && r.type === type).reduce((n, r) => n + r.sessions, 0)),
      })),
      {
        name: 'Compliant',
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        itemStyle: { color: '#007f3b' },
        label: { show: true, position: 'right', formatter: (p: { dataIndex: number }) => percent(compliance[p.dataIndex]?.share ?? null) },
        data: compliance.map((r) => (r.share === null ? 0 : Math.round(r.share * 1000) / 10)),
      },
    ],
  };
}

/** The chart as SVG text. */
export function renderChartSvg(figures: ReportFigures, title: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
  try {
    chart.setOption(chartOption(figures, title));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as a PNG image. */
export function renderChartPng(figures: ReportFigures, title: string): Buffer {
  const svg = renderChartSvg(figures, title);
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' }).render().asPng();
  return Buffer.from(png);
}
