// Hostile creators for isolation tests: a member's real certificate with one
// byte of its subject's last UTF8String (the CN value) set to 0xFF. Its issuer
// name still matches the channel CA's subject, so it reaches the signature
// check of the chain; 0xFF is never valid UTF-8, so no X.509 reader that
// follows RFC 5280 (Go's, OpenSSL's) accepts it.

import { encodeSerializedIdentity, createSignedEnvelope, HeaderType } from '../../src/block/index.js';
import type { DevIdentity } from '../../src/crypto/devpki.js';
import { decodePem, encodePem } from '../../src/crypto/pem.js';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';

const UTF8_STRING = 0x0c;

/** `certPem` with the first value byte of its subject's last UTF8String set to 0xFF. */
export function withBadSubjectByte(certPem: string): string {
  const der = Uint8Array.from(decodePem(certPem, ['CERTIFICATE']).der);
  const subject = parseCertificate(der).subjectName;
  const start = subject.byteOffset - der.byteOffset;
  let at = -1;
  // Short-form TLVs only in a dev name: tag, length, value. The last UTF8String of the subject is the CN.
  for (let i = start; i < start + subject.length - 2; i++) {
    if (der[i] === UTF8_STRING && der[i + 1]! > 0 && i + 2 + der[i + 1]! === start + subject.length) at = i + 2;
  }
  if (at < 0) throw new Error('no trailing UTF8String in the subject');
  der[at] = 0xff;
  return encodePem('CERTIFICATE', der);
}

/** An envelope whose creator is `member` with the mutated certificate, signed by the member's key. */
export function envelopeWithBadCreator(member: DevIdentity, channelId: string, txId: string): Uint8Array {
  const idBytes = new TextEncoder().encode(withBadSubjectByte(member.certPem));
  return createSignedEnvelope({
    type: HeaderType.ENDORSER_TRANSACTION,
    channelId,
    txId,
    data: new TextEncoder().encode(`payload of ${txId}`),
    creator: { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes }) },
  });
}
