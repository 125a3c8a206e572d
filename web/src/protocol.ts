/**
 * @module protocol
 * Messages between the page and a decode worker. One job decodes one tile: tiles are
 * independent, so a pool of workers decodes the tiles of one stream in parallel.
 */

/** Page -> worker: decode tile `tile` of `stream` (models under `base`). */
export interface TileJob {
  id: number;
  base: string;
  stream: Uint8Array;
  tile: number;
  maxPixels: number;
}

/** Worker -> page: the tile's layout pixels (CRC checked), or a typed error. */
export type TileResult =
  | { id: number; pixels: Uint8Array }
  | { id: number; error: { name: string; code?: string; message: string; detail?: string } };
