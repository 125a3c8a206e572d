/**
 * @module protocol
 * Messages between the page and a decode worker. One job decodes one tile: tiles are
 * independent, so a pool of workers decodes the tiles of one stream in parallel. A job
 * with `previews` set gets the tile's coarse levels (1/8, 1/4, 1/2) before its result.
 */

/** Page -> worker: decode tile `tile` of `stream` (models under `base`). */
export interface TileJob {
  id: number;
  base: string;
  stream: Uint8Array;
  tile: number;
  maxPixels: number;
  /** Which graphs run the networks (shared/graph-forms.ts); the worker's default when absent. */
  graphForm?: "int" | "float-exact";
  /** Post each coarse level of the tile as it is decoded (a {@link TilePreview}). */
  previews?: boolean;
}

/**
 * Worker -> page, before the result: every pixel of the tile at multiples of `step` (8,
 * 4, 2), as a packed RGB image of ceil(w / step) x ceil(h / step). Not yet checked: the
 * tile's CRC covers the final pixels only.
 */
export interface TilePreview {
  step: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Worker -> page: a preview of the tile (zero or more), then its layout pixels (CRC checked) or a typed error. */
export type TileResult =
  | { id: number; preview: TilePreview }
  | { id: number; pixels: Uint8Array }
  | { id: number; error: { name: string; code?: string; message: string; detail?: string } };
