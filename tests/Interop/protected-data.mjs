// A second implementation of SsoSecret protected data, format version 1, written from docs/protected-data-format.md
// alone (not from the C# code), with Node's built-in crypto and no packages. It proves the page is enough.
//
//   node protected-data.mjs vectors SPEC.md   recomputes every test vector of the page; exit code 1 on any mismatch
//   node protected-data.mjs open              stdin {ring:[{id,secret}], items:[{purpose,text}]} -> stdout [{outcome,...}]
//   node protected-data.mjs protect           stdin {id, secret, items:[{purpose,plaintext}]} -> stdout [text]
//
// In the JSON, secret, purpose and plaintext are hex (the purpose's UTF-8 bytes); ids are GUIDs in canonical text.
// Node 20: crypto.hkdfSync, chacha20-poly1305, Buffer base64url.

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// --- The format (page sections "Layout", "Bounds", "Key schedule") ---------------------------------------------------

const PREFIX = 'ssodata1.';
const LABEL = Buffer.concat([Buffer.from('SsoSecret protected data v1', 'ascii'), Buffer.from([0x00])]);
const OVERHEAD = 16 + 16 + 32 + 16 + 4;
const MAX_PLAINTEXT = 16384;
const MIN_ENCODED = 112;
const MAX_ENCODED = 21958;

export class ProtectedDataError extends Error {
    constructor(outcome, message, extra = {}) {
        super(`${outcome}: ${message}`);
        this.outcome = outcome;
        this.secretId = extra.secretId ?? null;
        this.version = extra.version ?? null;
    }
}

function guidToBytes(id) {
    const hex = id.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a GUID: ${id}`);
    return Buffer.from(hex, 'hex');
}

function bytesToGuid(b) {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const SPACES = new Set([0x20, 0xa0, 0x1680, 0x202f, 0x205f, 0x3000]);
for (let c = 0x2000; c <= 0x200a; c++) SPACES.add(c);

/** The purpose rules (page section "Purpose"); the purpose comes as its UTF-8 bytes. Throws TypeError (the caller's error). */
function checkPurpose(bytes) {
    if (bytes.length < 1 || bytes.length > 256) throw new TypeError(`purpose of ${bytes.length} bytes`);
    let text;
    try {
        // fatal: refuses malformed UTF-8, overlong forms and encoded surrogates; ignoreBOM: a leading U+FEFF stays a code point.
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
        throw new TypeError('purpose is not UTF-8');
    }
    const cps = Array.from(text, (ch) => ch.codePointAt(0));
    for (const cp of cps) {
        if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) throw new TypeError('purpose holds a control character');
        if (cp === 0x2028 || cp === 0x2029) throw new TypeError('purpose holds a line or paragraph separator');
    }
    if (SPACES.has(cps[0]) || SPACES.has(cps[cps.length - 1])) throw new TypeError('purpose begins or ends with a space');
}

function keySchedule(secret, header, purpose) {
    const salt = header.subarray(9 + 16, 9 + 32);
    const info = Buffer.concat([LABEL, header, purpose]);
    const okm = Buffer.from(hkdfSync('sha256', secret, salt, info, 76));
    const keys = { key: Buffer.from(okm.subarray(0, 32)), nonce: Buffer.from(okm.subarray(32, 44)), commitment: Buffer.from(okm.subarray(44, 76)) };
    okm.fill(0);
    return keys;
}

function checksumOf(bodyWithoutChecksum) {
    return createHash('sha256').update(bodyWithoutChecksum).digest().subarray(0, 4);
}

// --- The writer (page section "What a writer does") -----------------------------------------------------------------

export function protect(id, secret, purpose, plaintext, salt = null) {
    if (secret.length < 16 || secret.length > 1024) throw new TypeError('secret must be 16 to 1024 bytes');
    const idBytes = guidToBytes(id);
    if (idBytes.every((b) => b === 0)) throw new TypeError('nil secret id');
    checkPurpose(purpose);
    if (plaintext.length > MAX_PLAINTEXT) throw new TypeError('plaintext too long');
    salt = salt ?? randomBytes(16);
    if (salt.length !== 16) throw new TypeError('salt must be 16 bytes');

    const header = Buffer.concat([Buffer.from(PREFIX, 'ascii'), idBytes, salt]);
    const keys = keySchedule(secret, header, purpose);
    const cipher = createCipheriv('chacha20-poly1305', keys.key, keys.nonce, { authTagLength: 16 });
    cipher.setAAD(header, { plaintextLength: plaintext.length });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const withoutChecksum = Buffer.concat([idBytes, salt, keys.commitment, ciphertext, tag]);
    const body = Buffer.concat([withoutChecksum, checksumOf(withoutChecksum)]);
    keys.key.fill(0);
    keys.nonce.fill(0);
    return { text: PREFIX + body.toString('base64url'), body, header, keys };
}

// --- The reader (page section "What a reader does, in this order") -------------------------------------------------

/** Steps 1 to 8: everything without a key. Returns { secretId, body, header }. */
export function readHeader(input) {
    // 1. White space: only these four, only at the ends.
    let start = 0;
    let end = input.length;
    const ws = (c) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
    while (start < end && ws(input[start])) start++;
    while (end > start && ws(input[end - 1])) end--;
    const text = input.slice(start, end);

    // 2. Format.
    if (!/^ssodata[0-9]/.test(text)) throw new ProtectedDataError('NotProtectedData', 'does not start with ssodata and a digit');

    // 3. Version: at most 11 digits read.
    const run = /^ssodata([0-9]{1,11})/.exec(text)[1];
    if (run !== '1') {
        const version = run.length > 10 ? run.slice(0, 10) + '...' : run;
        throw new ProtectedDataError('UnsupportedVersion', `version ${version}`, { version });
    }
    if (text[8] !== '.') throw new ProtectedDataError('Damaged', 'prefix broken');
    const encoded = text.slice(9);

    // 4. Length.
    if (encoded.length < MIN_ENCODED || encoded.length > MAX_ENCODED || encoded.length % 4 === 1) {
        throw new ProtectedDataError('Damaged', `encoded body of ${encoded.length} characters`);
    }

    // 5. Alphabet.
    if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new ProtectedDataError('Damaged', 'not base64url');

    // 6. Decode, canonically: Buffer's decoder ignores unused bits, so encode again and compare.
    const body = Buffer.from(encoded, 'base64url');
    if (body.length !== Math.floor((encoded.length * 3) / 4) || body.toString('base64url') !== encoded) {
        throw new ProtectedDataError('Damaged', 'not canonical base64url');
    }

    // 7. Checksum.
    const n = body.length;
    if (!checksumOf(body.subarray(0, n - 4)).equals(body.subarray(n - 4))) throw new ProtectedDataError('Damaged', 'checksum');

    // 8. Secret id.
    const idBytes = body.subarray(0, 16);
    if (idBytes.every((b) => b === 0)) throw new ProtectedDataError('Damaged', 'nil secret id');
    const header = Buffer.concat([Buffer.from(PREFIX, 'ascii'), body.subarray(0, 32)]);
    return { secretId: bytesToGuid(idBytes), body, header, plaintextLength: n - OVERHEAD };
}

/** Steps 1 to 11. ring: Map of lower-case GUID -> secret Buffer. Returns the plaintext Buffer. */
export function unprotect(ring, purpose, input) {
    checkPurpose(purpose);
    const { secretId, body, header } = readHeader(input);

    // 9. Secret.
    const secret = ring.get(secretId);
    if (!secret) throw new ProtectedDataError('UnknownSecret', `secret ${secretId} not in the ring`, { secretId });

    // 10. Key commitment.
    const keys = keySchedule(secret, header, purpose);
    try {
        if (!timingSafeEqual(keys.commitment, body.subarray(32, 64))) {
            throw new ProtectedDataError('WrongPurpose', 'commitment differs', { secretId });
        }

        // 11. AEAD.
        const n = body.length;
        const ciphertext = body.subarray(64, n - 20);
        const tag = body.subarray(n - 20, n - 4);
        const decipher = createDecipheriv('chacha20-poly1305', keys.key, keys.nonce, { authTagLength: 16 });
        decipher.setAAD(header, { plaintextLength: ciphertext.length });
        decipher.setAuthTag(tag);
        const plaintext = decipher.update(ciphertext);
        try {
            decipher.final();
        } catch {
            plaintext.fill(0);
            throw new ProtectedDataError('Tampered', 'tag mismatch', { secretId });
        }
        return plaintext;
    } finally {
        keys.key.fill(0);
        keys.nonce.fill(0);
    }
}

// --- The page's test vectors (section "Test vectors") ----------------------------------------------------------------

function readBlocks(markdown) {
    const text = markdown.replace(/\r\n/g, '\n');
    const blocks = [];
    const re = /^### ((?:Negative vector|Vector) [^\n]+)\n\n```text\n([\s\S]*?)\n```/gm;
    for (const m of text.matchAll(re)) {
        const fields = {};
        let open = null;
        for (const line of m[2].split('\n')) {
            if (open !== null) {
                if (line === '') open = null;
                else fields[open] += line;
                continue;
            }
            if (line === '') continue;
            const single = /^([A-Za-z][A-Za-z0-9 ()-]*):\s+(.+)$/.exec(line);
            const multi = /^([A-Za-z][A-Za-z0-9 ()-]*):$/.exec(line);
            if (single) fields[single[1]] = single[2].trim();
            else if (multi) {
                open = multi[1];
                fields[open] = '';
            } else throw new Error(`${m[1]}: cannot read the line "${line}"`);
        }
        blocks.push({ title: m[1], negative: m[1].startsWith('Negative'), fields });
    }
    return blocks;
}

function hex(s) {
    return s === '(empty)' ? Buffer.alloc(0) : Buffer.from(s, 'hex');
}

function ringOf(fields) {
    const ring = new Map();
    for (const name of ['current secret', 'previous secret']) {
        if (fields[name]) {
            const [id, secret] = fields[name].split(' ');
            ring.set(id.toLowerCase(), hex(secret));
        }
    }
    return ring;
}

function checkVectors(specPath) {
    const blocks = readBlocks(readFileSync(specPath, 'utf8'));
    const failures = [];
    let checks = 0;
    const expect = (title, what, actual, wanted) => {
        checks++;
        if (actual !== wanted) failures.push(`${title}: ${what} is ${actual}, the page says ${wanted}`);
    };
    for (const { title, negative, fields } of blocks) {
        try {
            if (!negative) {
                const purpose = hex(fields['purpose (UTF-8)']);
                expect(title, 'purpose text', Buffer.from(fields['purpose'], 'utf8').toString('hex'), purpose.toString('hex'));
                const plaintext = hex(fields['plaintext']);
                const written = protect(fields['secret id'], hex(fields['secret']), purpose, plaintext, hex(fields['salt']));
                const n = written.body.length;
                expect(title, 'header', written.header.toString('hex'), fields['header']);
                const keys = keySchedule(hex(fields['secret']), written.header, purpose);
                expect(title, 'aead key', keys.key.toString('hex'), fields['aead key']);
                expect(title, 'aead nonce', keys.nonce.toString('hex'), fields['aead nonce']);
                expect(title, 'commitment', keys.commitment.toString('hex'), fields['commitment']);
                expect(title, 'checksum', written.body.subarray(n - 4).toString('hex'), fields['checksum']);
                expect(title, 'body', written.body.toString('hex'), fields['body']);
                expect(title, 'text', written.text, fields['text']);
                const ring = new Map([[fields['secret id'].toLowerCase(), hex(fields['secret'])]]);
                expect(title, 'opened plaintext', unprotect(ring, purpose, fields['text']).toString('hex'), plaintext.toString('hex'));
            } else {
                const ring = ringOf(fields);
                let outcome = 'Opened';
                let error = null;
                try {
                    unprotect(ring, hex(fields['purpose (UTF-8)']), fields['text']);
                } catch (e) {
                    if (!(e instanceof ProtectedDataError)) throw e;
                    outcome = e.outcome;
                    error = e;
                }
                expect(title, 'outcome', outcome, fields['outcome']);
                if (fields['secret id named']) expect(title, 'secret id named', error?.secretId, fields['secret id named']);
                if (fields['version named']) expect(title, 'version named', error?.version, fields['version named']);
            }
        } catch (e) {
            failures.push(`${title}: ${e.stack}`);
        }
    }
    const positives = blocks.filter((b) => !b.negative).length;
    return { vectors: blocks.length, positives, negatives: blocks.length - positives, checks, failures };
}

// --- Command line ---------------------------------------------------------------------------------------------------

function readStdin() {
    return JSON.parse(readFileSync(0, 'utf8'));
}

// Only when run as a script: tests/Interop/vault.mjs imports the functions above.
const runAsScript = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
const [mode, arg] = runAsScript ? process.argv.slice(2) : [null, null];
if (!runAsScript) {
    // imported as a module: no command line
} else if (mode === 'vectors') {
    const result = checkVectors(arg);
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exitCode = result.failures.length === 0 && result.vectors > 0 ? 0 : 1;
} else if (mode === 'open') {
    const input = readStdin();
    const ring = new Map(input.ring.map((k) => [k.id.toLowerCase(), hex(k.secret)]));
    const results = input.items.map(({ purpose, text }) => {
        try {
            return { outcome: 'Opened', plaintext: unprotect(ring, hex(purpose), text).toString('hex') };
        } catch (e) {
            if (e instanceof ProtectedDataError) return { outcome: e.outcome, secretId: e.secretId, version: e.version };
            if (e instanceof TypeError) return { outcome: 'InvalidArgument', message: e.message };
            throw e;
        }
    });
    process.stdout.write(JSON.stringify(results) + '\n');
} else if (mode === 'protect') {
    const input = readStdin();
    const texts = input.items.map(({ purpose, plaintext }) => protect(input.id, hex(input.secret), hex(purpose), hex(plaintext)).text);
    process.stdout.write(JSON.stringify(texts) + '\n');
} else {
    process.stderr.write('usage: node protected-data.mjs vectors SPEC.md | open | protect\n');
    process.exitCode = 2;
}
