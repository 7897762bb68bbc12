// The tx id of a marshaled Envelope, read with the least work: the walk
// Envelope.payload(1) -> Payload.header(1) -> Header.channel_header(1) ->
// ChannelHeader.tx_id(5), skipping every other field and copying nothing
// but the id itself. The harness calls it for every envelope of every
// delivered block, so it must be cheap; full parsing is the block layer's.

/** Fields of a message: the [start, end) of field `number` (length-delimited), or undefined. */
function lengthDelimited(bytes: Uint8Array, start: number, end: number, number: number): [number, number] | undefined {
  let i = start;
  while (i < end) {
    let key = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[i++]!;
      key |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && i < end);
    const wire = key & 7;
    if (wire === 0) {
      while (bytes[i++]! & 0x80 && i < end);
    } else if (wire === 2) {
      let length = 0;
      shift = 0;
      do {
        b = bytes[i++]!;
        length += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80 && i < end);
      if (key >>> 3 === number) return i + length <= end ? [i, i + length] : undefined;
      i += length;
    } else if (wire === 1) {
      i += 8;
    } else if (wire === 5) {
      i += 4;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** The envelope's channel-header tx id; '' when it has none or is not an envelope this walk understands. */
export function txIdOf(envelope: Uint8Array): string {
  const payload = lengthDelimited(envelope, 0, envelope.length, 1);
  if (payload === undefined) return '';
  const header = lengthDelimited(envelope, payload[0], payload[1], 1);
  if (header === undefined) return '';
  const channelHeader = lengthDelimited(envelope, header[0], header[1], 1);
  if (channelHeader === undefined) return '';
  const txId = lengthDelimited(envelope, channelHeader[0], channelHeader[1], 5);
  if (txId === undefined) return '';
  const view = Buffer.isBuffer(envelope) ? envelope : Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return view.toString('latin1', txId[0], txId[1]);
}
