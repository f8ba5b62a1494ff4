// A second implementation of the SsoSecret vault file, version 1, written from docs/vault-format.md and
// docs/protected-data-format.md alone (not from the C# code), with Node's built-in crypto and no packages. The
// protected-data layer is tests/Interop/protected-data.mjs, itself written from its page alone.
//
//   node vault.mjs vectors SPEC.md   recomputes the page's vector and makes every row of its damage table;
//                                    stdout {vectors, checks, failures:[...]}, exit code 1 on any failure
//   node vault.mjs read              stdin {ring:[{id,secret}], file, names:[...]} (or {ring, files:[{file,names}]})
//                                    -> stdout {whole, intact:[...], damage:[...], gets:[...]} (or an array of them)
//   node vault.mjs write             stdin {id, secret, entries:[...]} (or {id, secret, vaults:[[entries]...]})
//                                    -> stdout the file in hex (or a JSON array of them), fresh random salts
//
// In the JSON: secrets and files are hex; texts are JSON strings; a value is {type:"ByteArray", hex} |
// {type:"String"|"SecureString", text} | {type:"PSCredential", user, password} | {type:"Hashtable", items:[{key, value}]};
// a metadata item is {key, kind:"String"|"Int32"|"DateTime", value} with a DateTime's ticks as a decimal string.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ProtectedDataError, protect, readHeader, unprotect } from './protected-data.mjs';

// --- The format (page sections "Names", "Types", "Metadata", "Byte layout") ------------------------------------------

const MAGIC = Buffer.from('SSOVAULT', 'ascii');
const VERSION = 1;
const MAX_COUNT = 10000;
const MIN_L = 143;
const MAX_L = 57165;
const MAX_FILE = 67108864;
const MAX_TIME = 253402300799999n;
const MAX_TICKS = 3155378975999999999n;
const MAX_VALUE = 16384;
const TYPES = ['', 'ByteArray', 'String', 'SecureString', 'PSCredential', 'Hashtable'];
const KINDS = ['', 'String', 'Int32', 'DateTime'];

class Damage extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 to text; not valid UTF-8 (overlong, an encoded surrogate, above U+10FFFF) is damage. */
function decodeText(bytes) {
    try {
        return utf8.decode(bytes);
    } catch {
        throw new Damage('not valid UTF-8');
    }
}

/** Text to UTF-8; a text with an unpaired surrogate has none. */
function encodeText(text) {
    if (!text.isWellFormed()) throw new TypeError('a text with an unpaired surrogate');
    return Buffer.from(text, 'utf8');
}

const SPACES = new Set([0x20, 0xa0, 0x1680, 0x202f, 0x205f, 0x3000]);
for (let c = 0x2000; c <= 0x200a; c++) SPACES.add(c);

/** The name rules (page "Names": a purpose's rules, 1 to max bytes). Returns null if it is a name, else the reason. */
function nameProblem(bytes, max) {
    if (bytes.length < 1 || bytes.length > max) return `a name of ${bytes.length} bytes`;
    let text;
    try {
        text = utf8.decode(bytes);
    } catch {
        return 'a name that is not UTF-8';
    }
    const cps = Array.from(text, (ch) => ch.codePointAt(0));
    for (const cp of cps) {
        if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return 'a control character in a name';
    }
    if (SPACES.has(cps[0]) || SPACES.has(cps[cps.length - 1])) return 'a space at an end of a name';
    return null;
}

function nameBytes(text, max) {
    const bytes = encodeText(text);
    const problem = nameProblem(bytes, max);
    if (problem) throw new TypeError(`${problem}: ${JSON.stringify(text)}`);
    return bytes;
}

/** The folded name: every ASCII A-Z mapped to a-z, nothing else (on the UTF-8 bytes, where ASCII is ASCII). */
function fold(bytes) {
    const f = Buffer.from(bytes);
    for (let i = 0; i < f.length; i++) if (f[i] >= 0x41 && f[i] <= 0x5a) f[i] += 0x20;
    return f;
}

/** The names' order: the folded UTF-8, unsigned bytes, a prefix first. */
function compareNames(a, b) {
    return Buffer.compare(fold(a), fold(b));
}

function sameName(a, b) {
    return compareNames(a, b) === 0;
}

function purposeOf(typeName, name) {
    return Buffer.concat([Buffer.from(`ssosecret.vault/${typeName}/`, 'ascii'), name]);
}

const sha256 = (...parts) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
};

// --- A value's bytes (page "Types") ----------------------------------------------------------------------------------

function u16(n) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new TypeError(`${n} does not fit a u16`);
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return b;
}

function u32(n) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
}

function i64(n) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    return b;
}

/** A typed value (JSON) to its bytes before protection; nested is true inside a hashtable (no hashtable there). */
function valueBytes(value, nested = false) {
    switch (value.type) {
        case 'ByteArray':
            return Buffer.from(value.hex, 'hex');
        case 'String':
        case 'SecureString':
            return encodeText(value.text);
        case 'PSCredential': {
            const user = encodeText(value.user);
            return Buffer.concat([u16(user.length), user, encodeText(value.password)]);
        }
        case 'Hashtable': {
            if (nested) throw new TypeError('a hashtable in a hashtable');
            if (value.items.length > 256) throw new TypeError(`a hashtable of ${value.items.length} items`);
            const items = value.items.map((item) => ({ key: nameBytes(item.key, 200), value: item.value }));
            items.sort((a, b) => compareNames(a.key, b.key));
            const parts = [u16(items.length)];
            for (let i = 0; i < items.length; i++) {
                if (i > 0 && sameName(items[i - 1].key, items[i].key)) throw new TypeError(`the hashtable key ${items[i].key} twice`);
                const type = TYPES.indexOf(items[i].value.type);
                if (type < 1 || type > 4) throw new TypeError(`an item of type ${items[i].value.type}`);
                const bytes = valueBytes(items[i].value, true);
                parts.push(u16(items[i].key.length), items[i].key, Buffer.from([type]), u32(bytes.length), bytes);
            }
            return Buffer.concat(parts);
        }
        default:
            throw new TypeError(`no type ${value.type}`);
    }
}

/** A value's bytes to the typed value; a form that does not hold is Damage. */
function readValue(type, bytes) {
    switch (type) {
        case 1:
            return { type: 'ByteArray', hex: bytes.toString('hex') };
        case 2:
        case 3:
            return { type: TYPES[type], text: decodeText(bytes) };
        case 4: {
            if (bytes.length < 2) throw new Damage('a credential shorter than its user name length');
            const u = bytes.readUInt16BE(0);
            if (2 + u > bytes.length) throw new Damage('a credential whose user name passes its end');
            return { type: 'PSCredential', user: decodeText(bytes.subarray(2, 2 + u)), password: decodeText(bytes.subarray(2 + u)) };
        }
        case 5: {
            if (bytes.length < 2) throw new Damage('a hashtable shorter than its count');
            const c = bytes.readUInt16BE(0);
            if (c > 256) throw new Damage(`a hashtable of ${c} items`);
            let p = 2;
            const need = (n) => {
                if (p + n > bytes.length) throw new Damage('a hashtable item passes the end of the value');
            };
            const items = [];
            let last = null;
            for (let i = 0; i < c; i++) {
                need(2);
                const k = bytes.readUInt16BE(p);
                p += 2;
                need(k);
                const key = bytes.subarray(p, p + k);
                p += k;
                const problem = nameProblem(key, 200);
                if (problem) throw new Damage(`hashtable key: ${problem}`);
                if (last !== null && compareNames(key, last) <= 0) throw new Damage('hashtable keys out of order or there twice');
                last = key;
                need(1);
                const t = bytes[p];
                p += 1;
                if (t < 1 || t > 4) throw new Damage(`a hashtable item of type ${t}`);
                need(4);
                const v = bytes.readUInt32BE(p);
                p += 4;
                need(v);
                const value = readValue(t, bytes.subarray(p, p + v));
                p += v;
                items.push({ key: decodeText(key), value });
            }
            if (p !== bytes.length) throw new Damage('bytes after the last hashtable item');
            return { type: 'Hashtable', items };
        }
        default:
            throw new Damage(`type ${type}`);
    }
}

// --- The writer (page "Writing") -------------------------------------------------------------------------------------

/** An entry of the JSON (a typed value, or `text`: protected data already written) to its fields. */
function entryFields(entry, ring, salts) {
    const type = TYPES.indexOf(entry.type);
    if (type < 1) throw new TypeError(`no type ${entry.type}`);
    const name = nameBytes(entry.name, 200);
    const created = BigInt(entry.created);
    const changed = BigInt(entry.changed);
    if (!(created >= 0n && created <= changed && changed <= MAX_TIME)) throw new TypeError(`times ${created} ${changed}`);
    const metadata = (entry.metadata ?? []).map((m) => ({ ...m, keyBytes: nameBytes(m.key, 64) }));
    if (metadata.length > 32) throw new TypeError(`${metadata.length} metadata items`);
    metadata.sort((a, b) => compareNames(a.keyBytes, b.keyBytes));
    const parts = [Buffer.from([type]), u16(name.length), name, i64(created), i64(changed), Buffer.from([metadata.length])];
    for (let i = 0; i < metadata.length; i++) {
        const m = metadata[i];
        if (i > 0 && sameName(metadata[i - 1].keyBytes, m.keyBytes)) throw new TypeError(`the metadata key ${m.key} twice`);
        const kind = KINDS.indexOf(m.kind);
        parts.push(u16(m.keyBytes.length), m.keyBytes, Buffer.from([kind]));
        if (m.kind === 'String') {
            const text = encodeText(m.value);
            if (text.length > 1024) throw new TypeError(`a metadata text of ${text.length} bytes`);
            parts.push(u16(text.length), text);
        } else if (m.kind === 'Int32') {
            if (!Number.isInteger(m.value) || m.value < -2147483648 || m.value > 2147483647) throw new TypeError(`Int32 ${m.value}`);
            const b = Buffer.alloc(4);
            b.writeInt32BE(m.value);
            parts.push(b);
        } else if (m.kind === 'DateTime') {
            const ticks = BigInt(m.value);
            if (ticks < 0n || ticks > MAX_TICKS) throw new TypeError(`DateTime ticks ${ticks}`);
            parts.push(i64(ticks));
        } else {
            throw new TypeError(`no metadata kind ${m.kind}`);
        }
    }
    let text = entry.text;
    if (text === undefined) {
        if (TYPES.indexOf(entry.value.type) !== type) throw new TypeError(`an entry of type ${entry.type} with a value of type ${entry.value.type}`);
        const plaintext = valueBytes(entry.value);
        if (plaintext.length > MAX_VALUE) throw new TypeError(`a value of ${plaintext.length} bytes`);
        const salt = salts?.get(entry.name) ?? null;
        text = protect(ring.id, ring.secret, purposeOf(entry.type, name), plaintext, salt).text;
    }
    const value = Buffer.from(text, 'ascii');
    parts.push(u16(value.length), value);
    const fields = Buffer.concat(parts);
    if (fields.length < MIN_L || fields.length > MAX_L) throw new TypeError(`an entry of ${fields.length} bytes`);
    return { name, fields };
}

/** Entries (any order) to the file: entries in the names' order, each framed and summed, the file summed. */
export function writeVault(entries, ring, salts = null) {
    if (entries.length > MAX_COUNT) throw new TypeError(`${entries.length} entries`);
    const written = entries.map((e) => entryFields(e, ring, salts));
    written.sort((a, b) => compareNames(a.name, b.name));
    const parts = [MAGIC, Buffer.from([VERSION]), u32(written.length)];
    for (let i = 0; i < written.length; i++) {
        if (i > 0 && sameName(written[i - 1].name, written[i].name)) throw new TypeError(`the name ${written[i].name} twice`);
        const framed = Buffer.concat([u32(written[i].fields.length), written[i].fields]);
        parts.push(framed, sha256(framed));
    }
    const body = Buffer.concat(parts);
    const file = Buffer.concat([body, sha256(body)]);
    if (file.length > MAX_FILE) throw new TypeError(`a file of ${file.length} bytes`);
    return file;
}

// --- The reader (page "What a reader does, in this order") -----------------------------------------------------------

/** The name of a damaged entry, where its bytes still read as one (for messages and gets only). */
function nameOfDamaged(fields) {
    if (fields.length < 3) return null;
    const n = fields.readUInt16BE(1);
    if (3 + n > fields.length) return null;
    const bytes = fields.subarray(3, 3 + n);
    return nameProblem(bytes, 200) === null ? bytes : null;
}

/** Step 8: the fields of one entry, in order. Throws Damage. */
function readFields(fields) {
    let p = 0;
    const need = (n) => {
        if (p + n > fields.length) throw new Damage('a field passes the end of the entry');
    };
    need(1);
    const type = fields[p++];
    if (type < 1 || type > 5) throw new Damage(`type ${type}`);
    need(2);
    const n = fields.readUInt16BE(p);
    p += 2;
    need(n);
    const name = fields.subarray(p, p + n);
    p += n;
    const problem = nameProblem(name, 200);
    if (problem) throw new Damage(problem);
    need(16);
    const created = fields.readBigInt64BE(p);
    const changed = fields.readBigInt64BE(p + 8);
    p += 16;
    if (!(created >= 0n && created <= changed && changed <= MAX_TIME)) throw new Damage(`times ${created} ${changed}`);
    need(1);
    const m = fields[p++];
    if (m > 32) throw new Damage(`${m} metadata items`);
    const metadata = [];
    let last = null;
    for (let i = 0; i < m; i++) {
        need(2);
        const k = fields.readUInt16BE(p);
        p += 2;
        need(k);
        const key = fields.subarray(p, p + k);
        p += k;
        const keyProblem = nameProblem(key, 64);
        if (keyProblem) throw new Damage(`metadata key: ${keyProblem}`);
        if (last !== null && compareNames(key, last) <= 0) throw new Damage('metadata keys out of order or there twice');
        last = key;
        need(1);
        const kind = fields[p++];
        let value;
        if (kind === 1) {
            need(2);
            const len = fields.readUInt16BE(p);
            p += 2;
            if (len > 1024) throw new Damage(`a metadata text of ${len} bytes`);
            need(len);
            value = decodeText(fields.subarray(p, p + len));
            p += len;
        } else if (kind === 2) {
            need(4);
            value = fields.readInt32BE(p);
            p += 4;
        } else if (kind === 3) {
            need(8);
            const ticks = fields.readBigInt64BE(p);
            p += 8;
            if (ticks < 0n || ticks > MAX_TICKS) throw new Damage(`DateTime ticks ${ticks}`);
            value = ticks.toString();
        } else {
            throw new Damage(`metadata kind ${kind}`);
        }
        metadata.push({ key: decodeText(key), kind: KINDS[kind], value });
    }
    need(2);
    const pl = fields.readUInt16BE(p);
    p += 2;
    need(pl);
    const valueBytes = fields.subarray(p, p + pl);
    p += pl;
    if (valueBytes.some((b) => b > 0x7f)) throw new Damage('a value that is not ASCII');
    const text = valueBytes.toString('ascii');
    let header;
    try {
        header = readHeader(text);
    } catch (e) {
        if (e instanceof ProtectedDataError) throw new Damage(`a value protected data's reader refuses: ${e.outcome}`);
        throw e;
    }
    if (p !== fields.length) throw new Damage('the fields do not end at L');
    return { type, name, created: Number(created), changed: Number(changed), metadata, text, secretId: header.secretId };
}

/** The reader: {whole, entries (intact, in file order), damage}. */
export function readVault(file) {
    const result = { whole: null, wholeReason: null, entries: [], damage: [] };
    const refuse = (reason) => ({ ...result, whole: 'VaultDamaged', wholeReason: reason });
    if (file.length > MAX_FILE) return refuse('longer than 64 MiB'); // 1
    if (file.length < MAGIC.length || !file.subarray(0, MAGIC.length).equals(MAGIC)) return refuse('not a vault file'); // 2
    if (file.length < 45) return refuse('cut short'); // 3
    if (file[8] !== VERSION) return refuse(`version ${file[8]}`); // 4
    const count = file.readUInt32BE(9);
    if (count > MAX_COUNT) return refuse(`count ${count}`); // 5

    const end = file.length - 32;
    let o = 13;
    let stopped = false;
    let lastName = null;
    for (let i = 0; i < count; i++) {
        // 6. Framing.
        const l = end - o >= 4 ? file.readUInt32BE(o) : null;
        if (l === null || l < MIN_L || l > MAX_L || o + 4 + l + 32 > end) {
            result.damage.push({ kind: 'framing', index: i, offset: o, name: null, endsReading: true, reason: 'framing' });
            stopped = true;
            break;
        }
        const framed = file.subarray(o, o + 4 + l);
        const fields = file.subarray(o + 4, o + 4 + l);
        const next = o + 4 + l + 32;
        // 7. The entry's checksum.
        if (!timingSafeEqual(sha256(framed), file.subarray(o + 4 + l, next))) {
            const name = nameOfDamaged(fields);
            result.damage.push({ kind: 'entry', index: i, offset: o, name: name && decodeText(name), nameBytes: name, reason: 'its checksum does not match' });
            o = next;
            continue;
        }
        // 8. The fields.
        let entry;
        try {
            entry = readFields(fields);
        } catch (e) {
            if (!(e instanceof Damage)) throw e;
            const name = nameOfDamaged(fields);
            result.damage.push({ kind: 'entry', index: i, offset: o, name: name && decodeText(name), nameBytes: name, reason: e.message });
            o = next;
            continue;
        }
        // 9. The names' order.
        if (lastName !== null && compareNames(entry.name, lastName) <= 0) {
            result.damage.push({ kind: 'entry', index: i, offset: o, name: decodeText(entry.name), nameBytes: entry.name, reason: 'out of order or there twice' });
            o = next;
            continue;
        }
        // 10. Intact.
        lastName = entry.name;
        result.entries.push({ ...entry, index: i, offset: o });
        o = next;
    }
    // 11. Bytes left after the last entry the count counts.
    if (!stopped && o !== end) {
        result.damage.push({ kind: 'framing', index: null, offset: o, name: null, endsReading: true, reason: 'bytes after the last entry' });
    }
    // 12. The file's checksum.
    if (!timingSafeEqual(sha256(file.subarray(0, end)), file.subarray(end))) {
        result.damage.push({ kind: 'file', index: null, offset: end, name: null, reason: "the file's checksum does not match" });
    }
    return result;
}

/** Opening a value: protected data's reader with the ring and the entry's purpose, then the type's form. */
function openValue(entry, ring) {
    let plaintext;
    try {
        plaintext = unprotect(ring, purposeOf(TYPES[entry.type], entry.name), entry.text);
    } catch (e) {
        if (!(e instanceof ProtectedDataError)) throw e;
        if (e.outcome === 'UnknownSecret') return { outcome: 'UnknownSecret', secretId: e.secretId };
        return { outcome: 'VaultEntryDamaged', cause: e.outcome };
    }
    try {
        return { outcome: 'value', value: readValue(entry.type, plaintext) };
    } catch (e) {
        if (!(e instanceof Damage)) throw e;
        return { outcome: 'VaultEntryDamaged', cause: e.message };
    } finally {
        plaintext.fill(0);
    }
}

/** Getting an entry by a name (page "Getting an entry"). */
export function getEntry(read, name, ring) {
    if (read.whole) return { outcome: 'VaultDamaged' };
    const bytes = Buffer.from(name, 'utf8');
    const intact = read.entries.find((e) => sameName(e.name, bytes));
    if (intact) return openValue(intact, ring);
    const damaged = read.damage.find((d) => d.nameBytes && sameName(d.nameBytes, bytes));
    if (damaged) return { outcome: 'VaultEntryDamaged', cause: damaged.reason };
    if (read.damage.length > 0) return { outcome: 'VaultDamaged' };
    return { outcome: 'NotFound' };
}

/** What a change (set, remove, ...) gives on this file (page "Writing"): null when it may be made. */
function changeOutcome(read) {
    if (read.whole) return 'VaultDamaged';
    if (read.damage.length === 0) return null;
    // The damage is one entry named: the only damage found is in one entry whose name reads (so not with file damage).
    return read.damage.length === 1 && read.damage[0].kind === 'entry' && read.damage[0].name !== null ? 'VaultEntryDamaged' : 'VaultDamaged';
}

function report(read, names, ring) {
    return {
        whole: read.whole,
        wholeReason: read.wholeReason,
        intact: read.entries.map((e) => ({ name: decodeText(e.name), type: TYPES[e.type], created: e.created, changed: e.changed, metadata: e.metadata, secretId: e.secretId })),
        damage: read.damage.map(({ kind, index, offset, name, endsReading, reason }) => ({ kind, index, offset, name, endsReading: endsReading ?? false, reason })),
        change: changeOutcome(read),
        gets: names.map((name) => ({ name, ...getEntry(read, name, ring) })),
    };
}

// --- The page's vector and damage table (section "Test vector") ------------------------------------------------------

function readVectorBlock(markdown) {
    const text = markdown.replace(/\r\n/g, '\n');
    const section = text.slice(text.indexOf('\n## Test vector'));
    const blocks = [...section.matchAll(/```text\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    const fields = new Map();
    for (const block of blocks) {
        let open = null;
        for (const line of block.split('\n')) {
            if (open !== null) {
                if (line === '') open = null;
                else fields.set(open, [fields.get(open)[0] + line.trim()]);
                continue;
            }
            if (line === '') continue;
            const single = /^([A-Za-z][A-Za-z0-9 ()-]*):\s+(.+)$/.exec(line);
            const multi = /^([A-Za-z][A-Za-z0-9 ()-]*):$/.exec(line);
            if (single) fields.set(single[1], [...(fields.get(single[1]) ?? []), single[2].trim()]);
            else if (multi) {
                open = multi[1];
                fields.set(open, ['']);
            } else throw new Error(`cannot read the line "${line}"`);
        }
    }
    const damageTable = section.slice(section.indexOf('### Damage'));
    const rows = damageTable
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.startsWith('| change'))
        .map((l) => l.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '').trim()));
    return { fields, rows };
}

/** The vector's entries as the writer's JSON, from the block's fields. */
function vectorEntries(fields) {
    const one = (key) => {
        const v = fields.get(key);
        if (!v || v.length !== 1) throw new Error(`the field "${key}" is not there once`);
        return v[0];
    };
    const typed = (type, rest) => {
        switch (type) {
            case 'ByteArray':
                return { type, hex: rest };
            case 'String':
            case 'SecureString':
                return { type, text: rest };
            case 'PSCredential': {
                const [user, password] = rest.split(' ');
                return { type, user, password };
            }
            default:
                throw new Error(`an item of type ${type}`);
        }
    };
    const entries = [];
    const salts = new Map();
    for (let i = 1; fields.has(`entry ${i} name`); i++) {
        const type = one(`entry ${i} type`);
        const e = { name: one(`entry ${i} name`), type, created: Number(one(`entry ${i} created`)), changed: Number(one(`entry ${i} changed`)) };
        e.metadata = (fields.get(`entry ${i} metadata`) ?? []).map((line) => {
            const [, key, kind, value] = /^(\S+) (String|Int32|DateTime) (.*)$/.exec(line);
            return { key, kind, value: kind === 'Int32' ? Number(value) : value };
        });
        if (type === 'PSCredential') e.value = { type, user: one(`entry ${i} user`), password: one(`entry ${i} password`) };
        else if (type === 'ByteArray') e.value = { type, hex: one(`entry ${i} bytes`) };
        else if (type === 'String' || type === 'SecureString') e.value = { type, text: one(`entry ${i} text`) };
        else if (type === 'Hashtable') {
            e.value = {
                type,
                items: fields.get(`entry ${i} item`).map((line) => {
                    const [, key, itemType, rest] = /^(\S+) (\S+) (.*)$/.exec(line);
                    return { key, value: typed(itemType, rest) };
                }),
            };
        } else throw new Error(`entry ${i}: type ${type}`);
        salts.set(e.name, Buffer.from(one(`entry ${i} salt`), 'hex'));
        entries.push(e);
    }
    return { entries, salts };
}

/** Offsets of the entries of a well-formed file: [{offset, l, valueOffset, valueLength}]. */
function layout(file) {
    const out = [];
    let o = 13;
    for (let i = 0; i < file.readUInt32BE(9); i++) {
        const l = file.readUInt32BE(o);
        const f = file.subarray(o + 4, o + 4 + l);
        let p = 3 + f.readUInt16BE(1) + 16;
        const m = f[p++];
        for (let j = 0; j < m; j++) {
            p += 2 + f.readUInt16BE(p);
            const kind = f[p++];
            p += kind === 1 ? 2 + f.readUInt16BE(p) : kind === 2 ? 4 : 8;
        }
        const pl = f.readUInt16BE(p);
        out.push({ offset: o, l, lengthOffset: o + 4 + p, valueOffset: o + 4 + p + 2, valueLength: pl });
        o += 4 + l + 32;
    }
    return out;
}

/** Recomputes every frame and checksum of a file whose entries' bytes were changed (a deliberate change). */
function reseal(entryFieldsList) {
    const parts = [MAGIC, Buffer.from([VERSION]), u32(entryFieldsList.length)];
    for (const fields of entryFieldsList) {
        const framed = Buffer.concat([u32(fields.length), fields]);
        parts.push(framed, sha256(framed));
    }
    const body = Buffer.concat(parts);
    return Buffer.concat([body, sha256(body)]);
}

function canonical(v) {
    return JSON.stringify(v);
}

function checkVectors(specPath) {
    const failures = [];
    let checks = 0;
    const expect = (what, actual, wanted) => {
        checks++;
        if (canonical(actual) !== canonical(wanted)) failures.push(`${what}: is ${canonical(actual)}, the page says ${canonical(wanted)}`);
    };
    let rowsMade = 0;
    try {
        const { fields, rows } = readVectorBlock(readFileSync(specPath, 'utf8'));
        const one = (key) => fields.get(key)?.[0];
        const ring = { id: one('secret id'), secret: Buffer.from(one('secret'), 'hex') };
        const ringMap = new Map([[ring.id.toLowerCase(), ring.secret]]);
        const { entries, salts } = vectorEntries(fields);
        expect('entries in the vector', entries.length, 5);

        // Entry 1's plaintext and value, and the file.
        const e1 = entries[0];
        expect('entry 1 plaintext', valueBytes(e1.value).toString('hex'), one('entry 1 plaintext'));
        const e1Text = protect(ring.id, ring.secret, purposeOf(e1.type, Buffer.from(e1.name, 'utf8')), valueBytes(e1.value), salts.get(e1.name)).text;
        expect('entry 1 value', e1Text, one('entry 1 value'));
        const file = writeVault(entries, ring, salts);
        expect('file', file.toString('hex'), one('file'));

        // The page's file reads back whole, every entry opens to its value, and writing what was read gives it back.
        const pageFile = Buffer.from(one('file'), 'hex');
        const read = readVault(pageFile);
        expect('the page file: whole', read.whole, null);
        expect('the page file: damage', read.damage.length, 0);
        const ordered = [...entries].sort((a, b) => compareNames(Buffer.from(a.name), Buffer.from(b.name)));
        expect('the page file: intact names', read.entries.map((e) => decodeText(e.name)), ordered.map((e) => e.name));
        const expectedValue = (e) => readValue(TYPES.indexOf(e.type), valueBytes(e.value));
        for (const e of entries) expect(`the page file: get ${e.name}`, getEntry(read, e.name, ringMap), { outcome: 'value', value: expectedValue(e) });
        expect('the page file: a name not there', getEntry(read, 'no/such', ringMap).outcome, 'NotFound');
        expect('the page file: a name in other case', getEntry(read, 'billing/db', ringMap).outcome, 'value');
        const rewritten = writeVault(
            read.entries.map((e) => ({ name: decodeText(e.name), type: TYPES[e.type], created: e.created, changed: e.changed, metadata: e.metadata, text: e.text })),
            ring,
        );
        expect('the page file written again from what was read', rewritten.toString('hex'), pageFile.toString('hex'));

        // The damage table.
        const at = layout(pageFile);
        const nameOf = (k) => ordered[k - 1].name;
        const fieldsOf = (f) => layout(f).map((x) => Buffer.from(f.subarray(x.offset + 4, x.offset + 4 + x.l)));
        for (const [change, finds, gets] of rows) {
            const row = `damage row "${change}"`;
            let damaged;
            let m;
            if ((m = /^the last byte of entry (\d+)'s value \(the byte before its checksum\) XOR `([0-9a-f]{2})`$/.exec(change))) {
                damaged = Buffer.from(pageFile);
                const x = at[Number(m[1]) - 1];
                expect(`${row}: the value ends where the checksum starts`, x.valueOffset + x.valueLength, x.offset + 4 + x.l);
                damaged[x.offset + 4 + x.l - 1] ^= parseInt(m[2], 16);
            } else if ((m = /^entry (\d+)'s `L` \(bytes (\d+) to (\d+)\) set to `([0-9a-f]{8})`$/.exec(change))) {
                damaged = Buffer.from(pageFile);
                const x = at[Number(m[1]) - 1];
                expect(`${row}: L's bytes`, [x.offset, x.offset + 3], [Number(m[2]), Number(m[3])]);
                Buffer.from(m[4], 'hex').copy(damaged, x.offset);
            } else if ((m = /^the values of entries (\d+) and (\d+) exchanged, each entry's `L` and checksum and the file's checksum computed again$/.exec(change))) {
                const list = fieldsOf(pageFile);
                const a = Number(m[1]) - 1;
                const b = Number(m[2]) - 1;
                const valueOf = (k) => pageFile.subarray(at[k].lengthOffset, at[k].valueOffset + at[k].valueLength);
                const prefixOf = (k) => pageFile.subarray(at[k].offset + 4, at[k].lengthOffset);
                list[a] = Buffer.concat([prefixOf(a), valueOf(b)]);
                list[b] = Buffer.concat([prefixOf(b), valueOf(a)]);
                damaged = reseal(list);
            } else if ((m = /^the file's last byte XOR `([0-9a-f]{2})`$/.exec(change))) {
                damaged = Buffer.from(pageFile);
                damaged[damaged.length - 1] ^= parseInt(m[1], 16);
            } else if ((m = /^the version byte \(byte (\d+)\) set to `([0-9a-f]{2})`$/.exec(change))) {
                damaged = Buffer.from(pageFile);
                damaged[Number(m[1])] = parseInt(m[2], 16);
            } else {
                failures.push(`${row}: a change this reader cannot make`);
                continue;
            }
            rowsMade++;
            const r = readVault(damaged);
            const wantedDamage = [];
            let intactChecked = false;
            for (const clause of finds.split('; ')) {
                if ((m = /^entry damage in entry (\d+) `([^`]+)` \(checksum\)$/.exec(clause))) {
                    expect(`${row}: entry ${m[1]}'s name`, nameOf(Number(m[1])), m[2]);
                    wantedDamage.push({ kind: 'entry', index: Number(m[1]) - 1, name: m[2], reason: 'its checksum does not match' });
                } else if ((m = /^framing damage at byte (\d+)$/.exec(clause))) {
                    wantedDamage.push({ kind: 'framing', index: 0, offset: Number(m[1]) });
                } else if (clause === 'file damage') {
                    wantedDamage.push({ kind: 'file' });
                } else if (clause === 'no damage') {
                    // No damage: every entry counted is read whole, so all are intact.
                    intactChecked = true;
                    expect(`${row}: intact`, r.entries.map((e) => decodeText(e.name)), ordered.map((e) => e.name));
                } else if ((m = /^entries ([\d, ]+) intact$/.exec(clause))) {
                    intactChecked = true;
                    expect(`${row}: intact`, r.entries.map((e) => decodeText(e.name)), m[1].split(', ').map((k) => nameOf(Number(k))));
                } else if (clause === 'no entry intact') {
                    intactChecked = true;
                    expect(`${row}: intact`, r.entries.length, 0);
                } else if ((m = /^the (\d+) entries intact$/.exec(clause))) {
                    intactChecked = true;
                    expect(`${row}: intact`, r.entries.map((e) => decodeText(e.name)), ordered.slice(0, Number(m[1])).map((e) => e.name));
                } else if (clause === 'VaultDamaged, no entry read') {
                    intactChecked = true;
                    expect(`${row}: whole`, r.whole, 'VaultDamaged');
                    expect(`${row}: entries read`, r.entries.length + r.damage.length, 0);
                } else {
                    failures.push(`${row}: a finding this reader cannot check: "${clause}"`);
                }
            }
            if (!intactChecked) failures.push(`${row}: the row does not say which entries are intact`);
            if (r.whole === null) {
                expect(`${row}: whole`, r.whole, null);
                expect(
                    `${row}: damage`,
                    r.damage.map((d) => ({ kind: d.kind, ...(d.kind === 'entry' ? { index: d.index, name: d.name, reason: d.reason } : {}), ...(d.kind === 'framing' ? { index: d.index, offset: d.offset } : {}) })),
                    wantedDamage,
                );
            }
            const allNames = [...ordered.map((e) => e.name), 'no/such'];
            for (const clause of gets.split('; ')) {
                if ((m = /^`([^`]+)`: VaultEntryDamaged$/.exec(clause))) {
                    expect(`${row}: get ${m[1]}`, getEntry(r, m[1], ringMap).outcome, 'VaultEntryDamaged');
                } else if ((m = /^`([^`]+)`: its value$/.exec(clause))) {
                    const e = ordered.find((x) => x.name === m[1]);
                    expect(`${row}: get ${m[1]}`, getEntry(r, m[1], ringMap), { outcome: 'value', value: expectedValue(e) });
                } else if (clause === 'any name: VaultDamaged') {
                    for (const n of allNames) expect(`${row}: get ${n}`, getEntry(r, n, ringMap).outcome, 'VaultDamaged');
                } else if (clause === 'every name: its value') {
                    for (const e of ordered) expect(`${row}: get ${e.name}`, getEntry(r, e.name, ringMap), { outcome: 'value', value: expectedValue(e) });
                } else if ((m = /^`([^`]+)` and `([^`]+)`: VaultEntryDamaged \(does not open as that entry\)$/.exec(clause))) {
                    for (const n of [m[1], m[2]]) expect(`${row}: get ${n}`, getEntry(r, n, ringMap), { outcome: 'VaultEntryDamaged', cause: 'WrongPurpose' });
                } else if (clause === 'a `Set-Secret` is refused (VaultDamaged)') {
                    expect(`${row}: a change`, changeOutcome(r), 'VaultDamaged');
                } else {
                    failures.push(`${row}: a get this reader cannot check: "${clause}"`);
                }
            }
        }
        expect('damage rows made', rowsMade, rows.length);
    } catch (e) {
        failures.push(e.stack);
    }
    return { vectors: 1, damageRows: rowsMade, checks, failures };
}

// --- Command line ---------------------------------------------------------------------------------------------------

function readStdin() {
    return JSON.parse(readFileSync(0, 'utf8'));
}

function ringOf(input) {
    return new Map(input.ring.map((k) => [k.id.toLowerCase(), Buffer.from(k.secret, 'hex')]));
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'vectors') {
    const result = checkVectors(arg);
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exitCode = result.failures.length === 0 && result.checks > 0 ? 0 : 1;
} else if (mode === 'read') {
    const input = readStdin();
    const ring = ringOf(input);
    const one = ({ file, names }) => report(readVault(Buffer.from(file, 'hex')), names ?? [], ring);
    process.stdout.write(JSON.stringify(input.files ? input.files.map(one) : one(input)) + '\n');
} else if (mode === 'write') {
    const input = readStdin();
    const ring = { id: input.id, secret: Buffer.from(input.secret, 'hex') };
    const one = (entries) => writeVault(entries, ring).toString('hex');
    process.stdout.write((input.vaults ? JSON.stringify(input.vaults.map(one)) : one(input.entries)) + '\n');
} else {
    process.stderr.write('usage: node vault.mjs vectors SPEC.md | read | write\n');
    process.exitCode = 2;
}
