/** Toolbar icons: SVG path data on a 20 × 20 grid, drawn with a 1.6 px stroke. */
export const ICONS = {
  select: 'M5 3l10.5 6.2-4.6 1.4L8.6 15z',
  hand: 'M10 2v16M2 10h16M10 2L7.8 4.2M10 2l2.2 2.2M10 18l-2.2-2.2M10 18l2.2-2.2M2 10l2.2-2.2M2 10l2.2 2.2M18 10l-2.2-2.2M18 10l-2.2 2.2',
  pen: 'M13.5 3.5l3 3L7 16H4v-3zM11.5 5.5l3 3',
  rect: 'M3 5h14v10H3z',
  ellipse: 'M3 10a7 5.5 0 1 0 14 0a7 5.5 0 1 0-14 0',
  line: 'M4 16L16 4',
  arrow: 'M4 16L16 4M9 4h7v7',
  text: 'M4 6V4h12v2M10 4v12M7.5 16h5',
  sticky: 'M3 3h14v9l-5 5H3zM12 17v-5h5',
  undo: 'M7 4L3 8l4 4M3 8h9.5a4.5 4.5 0 010 9H9',
  redo: 'M13 4l4 4-4 4M17 8H7.5a4.5 4.5 0 000 9H11',
  delete: 'M4 6h12M8 6V4h4v2M5.8 6l1 11h6.4l1-11',
  zoomIn: 'M10 4v12M4 10h12',
  zoomOut: 'M4 10h12',
  fit: 'M3 7V3h4M13 3h4v4M17 13v4h-4M7 17H3v-4'
} as const

export type IconName = keyof typeof ICONS
