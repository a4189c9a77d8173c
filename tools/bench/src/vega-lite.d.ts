// vega-lite's own types resolve only under moduleResolution node16 or bundler (its package exports
// them through "exports"); the workspace resolves as node does for CommonJS. What the chart uses:
declare module 'vega-lite' {
  export function compile(spec: object): { spec: object };
}
