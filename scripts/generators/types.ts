/** A generated file: where it goes (relative to the repository root) and its content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** One generator of `npm run gen` (conformance table, CRDs, dashboards, ...). */
export interface Generator {
  readonly name: string;
  generate(ctx: GenContext): Promise<readonly GeneratedFile[]>;
}

export interface GenContext {
  /** repository root */
  readonly root: string;
}
