// A second implementation of docs/envelope-format-v2.md, written from that page alone, in Node.js (20 or later) with
// nothing but its built-in crypto module: X25519, HKDF-SHA256, ChaCha20-Poly1305 and SHA-256 are Node's (OpenSSL's);
// Bech32m and the strict armor are written here from the page. Node has no Argon2, so for recovery key files this
// implementation starts from the Argon2id output, which the caller gives.
//
// The xunit suite (tests/SsoSecret.Tests/InteropTests.cs) runs it: it opens what the module writes, writes what the
// module opens, recomputes the page's test vectors, and must reach the page's outcome for each bad input.
//
// Usage (hex for bytes; every command prints one JSON object; a documented failure prints {"failure": "<Outcome>"}
// and exits with code 2):
//   node ssosecret-v2.mjs check-vectors <envelope-format-v2.md>
//   node ssosecret-v2.mjs read-header <backup file>
//   node ssosecret-v2.mjs open-backup <backup file> <private key>
//   node ssosecret-v2.mjs seal-backup <out file> <secret> <secret id> <created seconds> <armor|binary> <public key line>...
//   node ssosecret-v2.mjs public-key <private key>
//   node ssosecret-v2.mjs parse-line <public key line>
//   node ssosecret-v2.mjs open-key <key file> <argon2id output>
//   node ssosecret-v2.mjs seal-key <out file> <private key> <argon2id output> <salt> <m> <t> <p> <created seconds> <hint hex> <armor|binary>

import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

class Failure extends Error {
  // step: for a public key line, the step of "The public key line" that refused it.
  constructor(outcome, reason, step = null) {
    super(`${outcome}: ${reason}`);
    this.outcome = outcome;
    this.step = step;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks, as "Notation" defines them
// ---------------------------------------------------------------------------------------------------------------

const MAGIC = Buffer.from('8953534f0d0a1a0a', 'hex');
const KEY_MAGIC = Buffer.from('8953534b0d0a1a0a', 'hex');
const ascii = (s) => Buffer.from(s, 'ascii');
const label = (s) => Buffer.concat([ascii(s), Buffer.from([0])]);

const sha256 = (data) => createHash('sha256').update(data).digest();
const hkdf = (ikm, salt, info, length) => Buffer.from(hkdfSync('sha256', ikm, salt, info, length));

function aeadSeal(key, nonce, plaintext, ad) {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function aeadOpen(key, nonce, sealed, ad) {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  decipher.setAAD(ad, { plaintextLength: sealed.length - 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - 16));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}

// X25519 through Node's key objects: raw keys wrapped in their fixed PKCS#8 and SPKI DER prefixes (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const privateKeyObject = (raw) => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
const publicKeyObject = (raw) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
const rawPublic = (keyObject) => keyObject.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
const publicKeyOf = (privateRaw) => rawPublic(createPublicKey(privateKeyObject(privateRaw)));

// X25519(k, u); null when the result is all zero (OpenSSL refuses that result itself, which means the same).
function x25519(privateRaw, publicRaw) {
  let shared;
  try {
    shared = diffieHellman({ privateKey: privateKeyObject(privateRaw), publicKey: publicKeyObject(publicRaw) });
  } catch {
    return null;
  }
  return shared.every((b) => b === 0) ? null : shared;
}

const readU16 = (b, o) => b.readUInt16BE(o);
const readU64 = (b, o) => b.readBigUInt64BE(o);
const guidToBytes = (g) => Buffer.from(g.replace(/-/g, ''), 'hex');
const bytesToGuid = (b) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

// ---------------------------------------------------------------------------------------------------------------
// Bech32m and the public key line ("The public key line")
// ---------------------------------------------------------------------------------------------------------------

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const BECH32M = 0x2bc830a3;
const PREFIX = 'ssosecret-recipient';

function polymod(values) {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk = (chk ^ GENERATOR[i]) >>> 0;
    }
  }
  return chk;
}

const expand = (hrp) => [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));

function toGroups(bytes) {
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
    acc &= 0xff;
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

function fromGroups(groups) {
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const g of groups) {
    acc = ((acc << 5) | g) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return null;
  return Buffer.from(out);
}

function encodeLine(publicRaw) {
  const data = toGroups(publicRaw);
  const pm = polymod(expand(PREFIX).concat(data, [0, 0, 0, 0, 0, 0])) ^ BECH32M;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (pm >>> (5 * (5 - i))) & 31);
  return PREFIX + '1' + data.concat(checksum).map((v) => ALPHABET[v]).join('');
}

// Step 5: a canonical u-coordinate has the top bit of byte 31 clear and, little-endian, is below p = 2^255 - 19.
const P = (1n << 255n) - 19n;
const littleEndian = (bytes) => [...bytes].reverse().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function nonCanonical(bytes) {
  if (bytes[31] & 0x80) return 'the top bit of byte 31 is set';
  if (littleEndian(bytes) >= P) return 'the value is p or more';
  return null;
}

// Steps 5 and 6, in that order, on 32 bytes: why they are no key pair's public key, or null.
function publicKeyProblem(bytes) {
  const why = nonCanonical(bytes);
  if (why) return { step: 5, why };
  if (x25519(ascii('SsoSecret small-order probe 0001'), bytes) === null) return { step: 6, why: 'small order' };
  return null;
}

function parseLine(text) {
  const invalid = (why, step = null) => new Failure('InvalidRecipient', why, step);
  const line = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (line.length > 90) throw invalid('longer than 90 characters');
  if ([...line].some((c) => c.charCodeAt(0) < 33 || c.charCodeAt(0) > 126)) throw invalid('not printable ASCII');
  if (line !== line.toLowerCase() && line !== line.toUpperCase()) throw invalid('mixed case');
  const lower = line.toLowerCase();
  const at = lower.lastIndexOf('1');
  if (at < 1 || lower.length - at - 1 < 6) throw invalid('no separator or too short');
  const hrp = lower.slice(0, at);
  const values = [...lower.slice(at + 1)].map((c) => ALPHABET.indexOf(c));
  if (values.some((v) => v < 0)) throw invalid('a character outside the alphabet');
  if (polymod(expand(hrp).concat(values)) !== BECH32M) throw invalid('checksum');
  if (hrp !== PREFIX) throw invalid('prefix');
  const bytes = fromGroups(values.slice(0, values.length - 6));
  if (bytes === null || bytes.length !== 32) throw invalid('length');
  const problem = publicKeyProblem(bytes);
  if (problem) throw invalid(problem.why, problem.step);
  return bytes;
}

const recipientFingerprint = (publicRaw) => sha256(Buffer.concat([label('SsoSecret recipient v1'), publicRaw])).subarray(0, 16);

// ---------------------------------------------------------------------------------------------------------------
// Armor (docs/envelope-format.md, "Armored form"; the key file uses the label SSOSECRET RECOVERY KEY)
// ---------------------------------------------------------------------------------------------------------------

const isWhite = (c) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

function looksArmored(data, armorLabel) {
  const begin = ascii(`-----BEGIN ${armorLabel}-----`);
  let i = 0;
  while (i < data.length && isWhite(data[i])) i++;
  if (i === data.length) return false;
  const n = Math.min(begin.length, data.length - i);
  return data.subarray(i, i + n).equals(begin.subarray(0, n));
}

function armorEncode(binary, armorLabel, headerLines = []) {
  const b64 = binary.toString('base64');
  const lines = b64.match(/.{1,64}/g);
  const header = headerLines.length > 0 ? `${headerLines.join('\n')}\n\n` : '';
  return `-----BEGIN ${armorLabel}-----\n${header}${lines.join('\n')}\n-----END ${armorLabel}-----\n`;
}

// The header lines a writer puts in a version 2 backup's armor: Created, Secret-Id, Fingerprint, Recipients.
function backupHeaderLines(header) {
  const created = new Date(header.created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return [`Created: ${created}`, `Secret-Id: ${header.secretId}`, `Fingerprint: ${header.fingerprint}`, `Recipients: ${header.recipients.join(', ')}`];
}

const armorBackup = (file) => armorEncode(file, 'SSOSECRET BACKUP', backupHeaderLines(readBackup(file).header));

function armorDecode(data, armorLabel, damaged) {
  let start = 0;
  let end = data.length;
  while (start < end && isWhite(data[start])) start++;
  while (end > start && isWhite(data[end - 1])) end--;
  // Lines as bytes: LF or CRLF; header lines are UTF-8, every other line printable ASCII.
  const lines = [];
  for (let at = start; ;) {
    const nl = data.indexOf(0x0a, at);
    const stop = nl < 0 || nl >= end ? end : nl;
    let line = data.subarray(at, stop);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    lines.push(line);
    if (stop === end) break;
    at = stop + 1;
  }
  const asciiLine = (i) => {
    if (lines[i].some((c) => c < 0x20 || c > 0x7e)) throw damaged('not printable ASCII');
    return lines[i].toString('ascii');
  };
  if (asciiLine(0) !== `-----BEGIN ${armorLabel}-----`) throw damaged('BEGIN line');
  if (lines.length < 3) throw damaged('cut short');
  if (asciiLine(lines.length - 1) !== `-----END ${armorLabel}-----`) throw damaged('END line');
  let first = 1;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  while (first < lines.length - 1 && lines[first].includes(0x3a)) {
    let text;
    try { text = decoder.decode(lines[first]); } catch { throw damaged('header line not UTF-8'); }
    if (lines[first].length > 4096) throw damaged('header line too long');
    if (!/^[A-Za-z][A-Za-z0-9-]{0,63}: /.test(text)) throw damaged('header line form');
    if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) throw damaged('control character in a header line');
    first++;
  }
  if (first > 1) {
    if (lines[first].length !== 0 || first === lines.length - 1) throw damaged('no empty line after the header lines');
    first++;
    if (first >= lines.length - 1) throw damaged('cut short after the header lines');
  }
  const body = [];
  for (let i = first; i < lines.length - 1; i++) body.push(asciiLine(i));
  body.forEach((l, i) => {
    const last = i === body.length - 1;
    if (l.length === 0 || l.length > 64 || (!last && l.length !== 64)) throw damaged('line length');
  });
  const text = body.join('');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw damaged('base64');
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) throw damaged('not canonical base64');
  return decoded;
}

// ---------------------------------------------------------------------------------------------------------------
// The backup, version 2 ("Byte layout", "Key schedule", "What a reader does")
// ---------------------------------------------------------------------------------------------------------------

const STANZA = 97;
const WRAP_INFO = label('SsoSecret backup v2 X25519');
const SCHEDULE_LABEL = label('SsoSecret backup v2 key schedule');

function payloadKeys(fileKey, file) {
  const okm = hkdf(fileKey, Buffer.alloc(0), Buffer.concat([SCHEDULE_LABEL, file.subarray(0, 56)]), 76);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44), commitment: okm.subarray(44, 76) };
}

const wrapKeyOf = (shared, ephemeralPublic, recipientPublic) => hkdf(shared, Buffer.concat([ephemeralPublic, recipientPublic]), WRAP_INFO, 32);

function sealBackup(secret, secretId, created, recipients, fileKey = randomBytes(32), ephemerals = null) {
  const n = recipients.length;
  const file = Buffer.alloc(136 + STANZA * n + secret.length);
  MAGIC.copy(file, 0);
  file.writeUInt16BE(2, 8);
  file.writeUInt16BE(0, 10);
  file[12] = 1;
  file[13] = n;
  file.writeBigUInt64BE(BigInt(created), 14);
  guidToBytes(secretId).copy(file, 22);
  sha256(Buffer.concat([label('SsoSecret fingerprint v1'), secret])).subarray(0, 16).copy(file, 38);
  file.writeUInt16BE(secret.length, 54);
  recipients.forEach((recipient, i) => {
    const at = 56 + STANZA * i;
    let ephemeralPrivate;
    if (ephemerals) {
      ephemeralPrivate = ephemerals[i];
    } else {
      const pair = generateKeyPairSync('x25519');
      ephemeralPrivate = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
    }
    const ephemeralPublic = publicKeyOf(ephemeralPrivate);
    const shared = x25519(ephemeralPrivate, recipient);
    if (shared === null) throw new Failure('InvalidRecipient', 'small order');
    file[at] = 1;
    recipientFingerprint(recipient).copy(file, at + 1);
    ephemeralPublic.copy(file, at + 17);
    aeadSeal(wrapKeyOf(shared, ephemeralPublic, recipient), Buffer.alloc(12), fileKey, Buffer.alloc(0)).copy(file, at + 49);
  });
  const header = 56 + STANZA * n;
  const keys = payloadKeys(fileKey, file);
  keys.commitment.copy(file, header);
  aeadSeal(keys.key, keys.nonce, secret, file.subarray(0, header)).copy(file, header + 32);
  sha256(file.subarray(0, file.length - 32)).copy(file, file.length - 32);
  return file;
}

// Steps 1 to 6: the form, magic, version, length, checksum and fields; the header as a reader without a key sees it.
function readBackup(input) {
  const damaged = (why) => new Failure('Damaged', why);
  if (input.length === 0) throw new Failure('NotABackup', 'empty');
  const startsWithMagic = (d) => d.length > 0 && d.subarray(0, Math.min(8, d.length)).equals(MAGIC.subarray(0, Math.min(8, d.length)));
  if (input.length > 65536) throw new Failure(startsWithMagic(input) || looksArmored(input, 'SSOSECRET BACKUP') ? 'Damaged' : 'NotABackup', 'too long');
  let file = input;
  let armored = false;
  if (!startsWithMagic(input)) {
    if (!looksArmored(input, 'SSOSECRET BACKUP')) throw new Failure('NotABackup', 'neither magic nor armor');
    file = armorDecode(input, 'SSOSECRET BACKUP', damaged);
    armored = true;
    if (!startsWithMagic(file)) throw damaged('armor without magic');
  }
  if (file.length < 10) throw damaged('cut short');
  const version = readU16(file, 8);
  if (version !== 2) throw new Failure(version === 1 ? 'BackupKindMismatch' : 'UnsupportedVersion', `version ${version}`);
  if (file.length < 249 || file.length > 2712) throw damaged('length');
  if (!timingSafeEqual(sha256(file.subarray(0, file.length - 32)), file.subarray(file.length - 32))) throw damaged('checksum');
  const n = file[13];
  const s = readU16(file, 54);
  if (readU16(file, 10) !== 0 || file[12] !== 1 || n < 1 || n > 16 || readU64(file, 14) > 253402300799n || s < 16 || s > 1024) throw damaged('fields');
  if (file.length !== 136 + STANZA * n + s) throw damaged('fields do not add up');
  const stanzas = [];
  for (let i = 0; i < n; i++) {
    const at = 56 + STANZA * i;
    if (file[at] !== 1) throw new Failure('UnsupportedVersion', `recipient type ${file[at]}`);
    const fingerprint = file.subarray(at + 1, at + 17).toString('hex');
    if (stanzas.some((st) => st.fingerprint === fingerprint)) throw damaged('a recipient twice');
    stanzas.push({ at, fingerprint });
  }
  return {
    file,
    armored,
    stanzas,
    header: {
      version,
      created: Number(readU64(file, 14)),
      secretId: bytesToGuid(file.subarray(22, 38)),
      fingerprint: file.subarray(38, 54).toString('hex'),
      secretLength: s,
      recipients: stanzas.map((st) => st.fingerprint),
      armored,
    },
  };
}

// Steps 7 to 11.
function openBackup(input, privateKey) {
  const { file, stanzas, header } = readBackup(input);
  const tampered = (why) => new Failure('Tampered', why);
  const recipient = publicKeyOf(privateKey);
  const stanza = stanzas.find((st) => st.fingerprint === recipientFingerprint(recipient).toString('hex'));
  if (!stanza) throw new Failure('WrongRecoveryKey', 'no stanza for this key');
  const ephemeral = file.subarray(stanza.at + 17, stanza.at + 49);
  const shared = x25519(privateKey, ephemeral);
  if (shared === null) throw tampered('ephemeral key of small order');
  const fileKey = aeadOpen(wrapKeyOf(shared, ephemeral, recipient), Buffer.alloc(12), file.subarray(stanza.at + 49, stanza.at + 97), Buffer.alloc(0));
  if (fileKey === null) throw tampered('wrapped file key');
  const headerLength = 56 + STANZA * stanzas.length;
  const keys = payloadKeys(fileKey, file);
  if (!timingSafeEqual(keys.commitment, file.subarray(headerLength, headerLength + 32))) throw tampered('commitment');
  const secret = aeadOpen(keys.key, keys.nonce, file.subarray(headerLength + 32, file.length - 32), file.subarray(0, headerLength));
  if (secret === null) throw tampered('tag');
  if (sha256(Buffer.concat([label('SsoSecret fingerprint v1'), secret])).subarray(0, 16).toString('hex') !== header.fingerprint) throw tampered('fingerprint');
  return { secret, header };
}

// ---------------------------------------------------------------------------------------------------------------
// The recovery key file ("The recovery key file"), from the Argon2id output
// ---------------------------------------------------------------------------------------------------------------

const KEY_LABEL = label('SsoSecret recovery key v1 key schedule');

function keyFileKeys(argon2Output, file) {
  const okm = hkdf(argon2Output, Buffer.alloc(0), Buffer.concat([KEY_LABEL, file.subarray(0, 42)]), 76);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44), commitment: okm.subarray(44, 76) };
}

function sealKey(privateKey, argon2Output, salt, m, t, p, created, hint) {
  const file = Buffer.alloc(196 + hint.length);
  KEY_MAGIC.copy(file, 0);
  file.writeUInt16BE(1, 8);
  file.writeUInt16BE(0, 10);
  file[12] = 1;
  file[13] = 1;
  file.writeUInt32BE(m, 14);
  file.writeUInt32BE(t, 18);
  file.writeUInt32BE(p, 22);
  salt.copy(file, 26);
  file.writeBigUInt64BE(BigInt(created), 42);
  publicKeyOf(privateKey).copy(file, 50);
  file.writeUInt16BE(hint.length, 82);
  hint.copy(file, 84);
  const header = 84 + hint.length;
  const keys = keyFileKeys(argon2Output, file);
  keys.commitment.copy(file, header);
  aeadSeal(keys.key, keys.nonce, privateKey, file.subarray(0, header)).copy(file, header + 32);
  sha256(file.subarray(0, file.length - 32)).copy(file, file.length - 32);
  return file;
}

function openKey(input, argon2Output) {
  const damaged = (why) => new Failure('DamagedRecoveryKey', why);
  if (input.length === 0) throw new Failure('NotARecoveryKey', 'empty');
  const startsWith = (d, magic) => d.length > 0 && d.subarray(0, Math.min(8, d.length)).equals(magic.subarray(0, Math.min(8, d.length)));
  let file = input;
  if (!startsWith(input, KEY_MAGIC)) {
    if (!looksArmored(input, 'SSOSECRET RECOVERY KEY')) throw new Failure('NotARecoveryKey', 'neither magic nor armor');
    file = armorDecode(input, 'SSOSECRET RECOVERY KEY', damaged);
    if (!startsWith(file, KEY_MAGIC)) throw damaged('armor without magic');
  }
  if (file.length < 10) throw damaged('cut short');
  if (readU16(file, 8) !== 1) throw new Failure('UnsupportedVersion', `version ${readU16(file, 8)}`);
  if (file.length < 196 || file.length > 2244) throw damaged('length');
  if (!timingSafeEqual(sha256(file.subarray(0, file.length - 32)), file.subarray(file.length - 32))) throw damaged('checksum');
  const h = readU16(file, 82);
  if (readU16(file, 10) !== 0 || file[12] !== 1 || file[13] !== 1 || file.length !== 196 + h) throw damaged('fields');
  if (publicKeyProblem(file.subarray(50, 82))) throw damaged('the public key passes no key pair\'s steps 5 and 6');
  const header = 84 + h;
  const keys = keyFileKeys(argon2Output, file);
  if (!timingSafeEqual(keys.commitment, file.subarray(header, header + 32))) throw new Failure('WrongPassword', 'commitment');
  const privateKey = aeadOpen(keys.key, keys.nonce, file.subarray(header + 32, header + 80), file.subarray(0, header));
  if (privateKey === null) throw damaged('tag');
  if (!publicKeyOf(privateKey).equals(file.subarray(50, 82))) throw damaged('public key');
  return { privateKey, publicKey: file.subarray(50, 82), hint: file.subarray(84, header).toString('utf8') };
}

// ---------------------------------------------------------------------------------------------------------------
// The page's own test vectors, recomputed
// ---------------------------------------------------------------------------------------------------------------

function checkVectors(specPath) {
  const text = readFileSync(specPath, 'utf8').replace(/\r\n/g, '\n');
  const sections = [...text.matchAll(/^### ((?:Vector|Key file vector|Negative vector) [^\n]+)\n\n```text\n([\s\S]*?)\n```/gm)];
  const checked = [];
  const positive = {};
  for (const [, name, body] of sections) {
    const f = Object.fromEntries([...body.matchAll(/^([A-Za-z0-9 ()\-]+):\s+(.+)$/gm)].map((m) => [m[1].trim(), m[2].trim()]));
    const fileMatch = body.match(/^file:\n((?:[0-9a-f]+\n?)+)/m);
    const fileHex = fileMatch ? fileMatch[1].replace(/\n/g, '') : null;
    if (name.startsWith('Negative vector')) {
      checkNegativeVector(name, f, fileHex, positive);
      checked.push(name);
      continue;
    }
    positive[name] = { f, fileHex };
    const armoredMatch = body.match(/^armored file:\n(-----BEGIN[\s\S]*?-----END [A-Z ]+-----)/m);
    const expect = (what, actual, expected) => {
      if (actual !== expected) throw new Error(`${name}: ${what} is ${actual}, the page says ${expected}`);
    };
    const hex = (k) => Buffer.from(f[k], 'hex');
    if (name.startsWith('Vector')) {
      const recipients = [];
      const ephemerals = [];
      for (let i = 1; f[`recipient ${i} private key`]; i++) {
        const pub = publicKeyOf(hex(`recipient ${i} private key`));
        expect(`recipient ${i} public key`, pub.toString('hex'), f[`recipient ${i} public key`]);
        expect(`recipient ${i} public key line`, encodeLine(pub), f[`recipient ${i} public key line`]);
        expect(`recipient ${i} line parsed`, parseLine(f[`recipient ${i} public key line`]).toString('hex'), f[`recipient ${i} public key`]);
        expect(`recipient ${i} fingerprint`, recipientFingerprint(pub).toString('hex'), f[`recipient ${i} fingerprint`]);
        const eph = hex(`ephemeral ${i} private key`);
        const ephPub = publicKeyOf(eph);
        expect(`ephemeral ${i} public key`, ephPub.toString('hex'), f[`ephemeral ${i} public key`]);
        const shared = x25519(eph, pub);
        expect(`shared secret ${i}`, shared.toString('hex'), f[`shared secret ${i}`]);
        const wrapKey = wrapKeyOf(shared, ephPub, pub);
        expect(`wrap key ${i}`, wrapKey.toString('hex'), f[`wrap key ${i}`]);
        expect(`wrapped file key ${i}`, aeadSeal(wrapKey, Buffer.alloc(12), hex('file key'), Buffer.alloc(0)).toString('hex'), f[`wrapped file key ${i}`]);
        recipients.push(pub);
        ephemerals.push(eph);
      }
      const created = Number(f.created.match(/\((\d+)\)/)[1]);
      const file = sealBackup(hex('secret'), f['secret id'], created, recipients, hex('file key'), ephemerals);
      const keys = payloadKeys(hex('file key'), file);
      expect('aead key', keys.key.toString('hex'), f['aead key']);
      expect('aead nonce', keys.nonce.toString('hex'), f['aead nonce']);
      expect('commitment', keys.commitment.toString('hex'), f.commitment);
      expect('file', file.toString('hex'), fileHex);
      if (armoredMatch) expect('armored file', armorBackup(file), armoredMatch[1] + '\n');
      for (let i = 1; f[`recipient ${i} private key`]; i++) {
        const input = armoredMatch ? ascii(armoredMatch[1]) : Buffer.from(fileHex, 'hex');
        expect(`opened with recipient ${i}`, openBackup(input, hex(`recipient ${i} private key`)).secret.toString('hex'), f.secret);
      }
    } else {
      const created = Number(f.created.match(/\((\d+)\)/)[1]);
      const [, m, t, p] = f.kdf.match(/^m=(\d+) KiB, t=(\d+), p=(\d+)$/).map(Number);
      const file = sealKey(hex('private key'), hex('argon2id output'), hex('salt'), m, t, p, created, hex('hint (UTF-8)'));
      const keys = keyFileKeys(hex('argon2id output'), file);
      expect('aead key', keys.key.toString('hex'), f['aead key']);
      expect('aead nonce', keys.nonce.toString('hex'), f['aead nonce']);
      expect('commitment', keys.commitment.toString('hex'), f.commitment);
      expect('file', file.toString('hex'), fileHex);
      expect('armored file', armorEncode(file, 'SSOSECRET RECOVERY KEY'), armoredMatch[1] + '\n');
      expect('opened', openKey(ascii(armoredMatch[1]), hex('argon2id output')).privateKey.toString('hex'), f['private key']);
    }
    checked.push(name);
  }
  return { checked };
}

// A negative vector: the input made again as its fields say, from the positive vector it names, and the outcome.
function checkNegativeVector(name, f, fileHex, positive) {
  const fail = (what, actual, expected) => {
    throw new Error(`${name}: ${what} is ${actual}, the page says ${expected}`);
  };
  const expect = (what, actual, expected) => {
    if (actual !== expected) fail(what, actual, expected);
  };
  const outcomeOf = (run) => {
    try {
      run();
    } catch (e) {
      if (e instanceof Failure) return e;
      throw e;
    }
    return { outcome: 'accepted', step: null };
  };
  const reseal = (file) => sha256(file.subarray(0, file.length - 32)).copy(file, file.length - 32);
  const from = f['made from'];
  if (!from) {
    const bytes = Buffer.from(f['public key'], 'hex');
    expect('public key line', encodeLine(bytes), f['public key line']);
    const result = outcomeOf(() => parseLine(f['public key line']));
    expect('outcome', result.outcome, f.outcome);
    expect('refused at', `step ${result.step}`, f['refused at']);
    return;
  }
  if (from === 'key file vector') {
    const source = Object.entries(positive).find(([n]) => n.startsWith('Key file vector'))[1];
    const file = Buffer.from(source.fileHex, 'hex');
    Buffer.from(f['public key'], 'hex').copy(file, 50);
    reseal(file);
    expect('file', file.toString('hex'), fileHex);
    expect('outcome', outcomeOf(() => openKey(file, Buffer.from(source.f['argon2id output'], 'hex'))).outcome, f.outcome);
    return;
  }
  const [, number] = from.match(/^vector (\d+)$/);
  const source = Object.entries(positive).find(([n]) => n.startsWith(`Vector ${number} `))[1];
  const sourceFile = Buffer.from(source.fileHex, 'hex');
  const sourceKeys = [];
  for (let i = 1; source.f[`recipient ${i} private key`]; i++) sourceKeys.push(Buffer.from(source.f[`recipient ${i} private key`], 'hex'));
  let file;
  let keys;
  if (f.stanzas) {
    const items = f.stanzas.split(', ').map((item) => item.match(/^(\d+)(?: with type (\d+))?$/));
    const stanzas = items.map(([, index, type]) => {
      const stanza = Buffer.from(sourceFile.subarray(56 + STANZA * (Number(index) - 1), 56 + STANZA * Number(index)));
      if (type) stanza[0] = Number(type);
      return stanza;
    });
    file = Buffer.concat([sourceFile.subarray(0, 56), ...stanzas, sourceFile.subarray(56 + STANZA * sourceKeys.length)]);
    file[13] = stanzas.length;
    reseal(file);
    expect('outcome without a key', outcomeOf(() => readBackup(file)).outcome, f.outcome);
    keys = sourceKeys;
  } else {
    // Sealed by this page's writer to a key its line reader refuses (sealBackup takes the bytes as they are).
    const recipient = Buffer.from(f['recipient 1 public key'], 'hex');
    expect('recipient 1 public key line', encodeLine(recipient), f['recipient 1 public key line']);
    expect('recipient 1 fingerprint', recipientFingerprint(recipient).toString('hex'), f['recipient 1 fingerprint']);
    const ephemeral = Buffer.from(source.f['ephemeral 1 private key'], 'hex');
    const shared = x25519(ephemeral, recipient);
    expect('shared secret 1', shared.toString('hex'), f['shared secret 1']);
    expect('shared secret 1 (the source\'s)', shared.toString('hex'), source.f['shared secret 1']);
    const wrapKey = wrapKeyOf(shared, publicKeyOf(ephemeral), recipient);
    expect('wrap key 1', wrapKey.toString('hex'), f['wrap key 1']);
    const fileKey = Buffer.from(source.f['file key'], 'hex');
    expect('wrapped file key 1', aeadSeal(wrapKey, Buffer.alloc(12), fileKey, Buffer.alloc(0)).toString('hex'), f['wrapped file key 1']);
    const created = Number(source.f.created.match(/\((\d+)\)/)[1]);
    file = sealBackup(Buffer.from(source.f.secret, 'hex'), source.f['secret id'], created, [recipient], fileKey, [ephemeral]);
    keys = [Buffer.from(f['opened with'], 'hex')];
    expect('opened with', keys[0].toString('hex'), sourceKeys[0].toString('hex'));
  }
  expect('file', file.toString('hex'), fileHex);
  for (const key of keys) expect('outcome', outcomeOf(() => openBackup(file, key)).outcome, f.outcome);
}

// ---------------------------------------------------------------------------------------------------------------

function main(argv) {
  const [command, ...args] = argv;
  const hexArg = (s) => Buffer.from(s, 'hex');
  switch (command) {
    case 'check-vectors':
      return checkVectors(args[0]);
    case 'read-header':
      return readBackup(readFileSync(args[0])).header;
    case 'open-backup': {
      const { secret, header } = openBackup(readFileSync(args[0]), hexArg(args[1]));
      return { secret: secret.toString('hex'), ...header };
    }
    case 'seal-backup': {
      const [out, secret, id, created, form, ...lines] = args;
      const file = sealBackup(hexArg(secret), id, Number(created), lines.map(parseLine));
      writeFileSync(out, form === 'armor' ? armorBackup(file) : file);
      return { written: out };
    }
    case 'public-key': {
      const pub = publicKeyOf(hexArg(args[0]));
      return { publicKey: pub.toString('hex'), line: encodeLine(pub), fingerprint: recipientFingerprint(pub).toString('hex') };
    }
    case 'parse-line':
      return { publicKey: parseLine(args[0]).toString('hex') };
    case 'open-key': {
      const opened = openKey(readFileSync(args[0]), hexArg(args[1]));
      return { privateKey: opened.privateKey.toString('hex'), line: encodeLine(opened.publicKey), hint: opened.hint };
    }
    case 'seal-key': {
      const [out, privateKey, argon2, salt, m, t, p, created, hintHex, form] = args;
      const file = sealKey(hexArg(privateKey), hexArg(argon2), hexArg(salt), Number(m), Number(t), Number(p), Number(created), hexArg(hintHex));
      writeFileSync(out, form === 'armor' ? armorEncode(file, 'SSOSECRET RECOVERY KEY') : file);
      return { written: out };
    }
    default:
      throw new Error(`Unknown command '${command}'.`);
  }
}

try {
  process.stdout.write(JSON.stringify(main(process.argv.slice(2))) + '\n');
} catch (e) {
  if (e instanceof Failure) {
    process.stdout.write(JSON.stringify({ failure: e.outcome, reason: e.message, step: e.step }) + '\n');
    process.exit(2);
  }
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
}
