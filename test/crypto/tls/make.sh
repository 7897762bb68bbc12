#!/bin/sh
# Regenerates the TLS chain fixtures of test/crypto/tlsChain.test.ts (needs the
# openssl CLI; the tests only read the files). Valid 100 years from the day made.
#   rsa-root ─ rsa-ica ─ p384-via-ica   RSA 2048 root and intermediate, P-384 leaf
#   rsa-root ─ rsa-ica ─ rsa-leaf2      RSA 2048 leaf from the intermediate
#   rsa-root ─ rsa-leaf                 RSA 2048 leaf straight from the root
#   p384-root ─ p384-leaf, p384-leaf2   ECDSA P-384 (SHA-384) throughout
#   ed25519-root ─ ed25519-leaf         Ed25519 throughout
#   impostor-root ─ impostor-leaf       rsa-root's name on another key; the leaf carries
#                                       no key ids, so only the signature tells them apart
# Keys are not kept: the tests need certificates only.
set -eu
cd "$(dirname "$0")"
DAYS=36500
RSA="-newkey rsa:2048"
P384="-newkey ec -pkeyopt ec_paramgen_curve:P-384"
ED25519="-newkey ed25519"
CA_EXT="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier=hash"
LEAF_EXT="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"

self_signed() { # name keyopts subject
  # shellcheck disable=SC2086
  openssl req -x509 $2 -nodes -keyout "$1.key" -out "$1.crt" -days $DAYS -subj "$3" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
}
issue() { # name keyopts subject issuer extensions
  # shellcheck disable=SC2086
  openssl req -new $2 -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$5" > ext.tmp
  openssl x509 -req -in "$1.csr" -CA "$4.crt" -CAkey "$4.key" -set_serial "0x$(openssl rand -hex 8)" -out "$1.crt" -days $DAYS -extfile ext.tmp 2>/dev/null
  rm -f "$1.csr"
}

self_signed rsa-root "$RSA" "/O=TlsOrg/CN=tlsca.rsa.example.com"
issue rsa-ica "$RSA" "/O=TlsOrg/CN=tlsica.rsa.example.com" rsa-root "$CA_EXT
authorityKeyIdentifier=keyid"
issue p384-via-ica "$P384" "/O=TlsOrg/CN=orderer1.rsa.example.com" rsa-ica "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
issue rsa-leaf "$RSA" "/O=TlsOrg/CN=orderer2.rsa.example.com" rsa-root "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
issue rsa-leaf2 "$RSA" "/O=TlsOrg/CN=orderer3.rsa.example.com" rsa-ica "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
self_signed p384-root "$P384" "/O=TlsOrg/CN=tlsca.p384.example.com"
issue p384-leaf "$P384" "/O=TlsOrg/CN=orderer1.p384.example.com" p384-root "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
issue p384-leaf2 "$P384" "/O=TlsOrg/CN=orderer2.p384.example.com" p384-root "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
self_signed ed25519-root "$ED25519" "/O=TlsOrg/CN=tlsca.ed25519.example.com"
issue ed25519-leaf "$ED25519" "/O=TlsOrg/CN=orderer1.ed25519.example.com" ed25519-root "$LEAF_EXT
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
self_signed impostor-root "$RSA" "/O=TlsOrg/CN=tlsca.rsa.example.com"
issue impostor-leaf "$RSA" "/O=TlsOrg/CN=orderer9.rsa.example.com" impostor-root "$LEAF_EXT
subjectKeyIdentifier=none
authorityKeyIdentifier=none"
rm -f ./*.key ext.tmp
