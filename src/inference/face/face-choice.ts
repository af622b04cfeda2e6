/**
 * Names for the faces of a group photo, for a person choosing one: where each sits, left to right,
 * and which is the largest. The CLI's `create` and the editor panel's face picker both show them.
 * Browser-safe.
 */
import type { FacesInPhoto } from '../../types.js';

export interface FaceChoice {
  /** The face's `faceIndex` (the detector's order). */
  index: number;
  /** Where it sits, e.g. "left", "middle, largest" or "2nd from left". */
  label: string;
  /** The avatar was fitted to this face. */
  chosen: boolean;
}

/** Every face of the photo, ordered left to right by the centre of its box. */
export function describeFaces(faces: FacesInPhoto): FaceChoice[] {
  const centreX = (index: number) => faces.boxes[index].x + faces.boxes[index].width / 2;
  const area = (index: number) => faces.boxes[index].width * faces.boxes[index].height;
  const order = faces.boxes.map((_, index) => index).sort((a, b) => centreX(a) - centreX(b) || a - b);
  let largest = 0;
  for (let k = 1; k < faces.boxes.length; k++) if (area(k) > area(largest)) largest = k;
  return order.map((index, rank) => ({
    index,
    label: [positionName(rank, order.length), ...(order.length > 1 && index === largest ? ['largest'] : [])].join(', '),
    chosen: index === faces.chosen,
  }));
}

/** "left", "middle", "right" for up to three faces; beyond that, the count from the left. */
function positionName(rank: number, count: number): string {
  if (count === 1) return 'the only face';
  if (count === 2) return rank === 0 ? 'left' : 'right';
  if (count === 3) return ['left', 'middle', 'right'][rank];
  const n = rank + 1;
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return rank === 0 ? 'leftmost' : rank === count - 1 ? 'rightmost' : `${n}${suffix} from left`;
}
