// asyncapi-validate.mjs - check the event contract: api/asyncapi.yaml and the JSON
// Schemas in api/events, and optionally a directory of sample events.
//
// Run by tests/spec/lint-asyncapi.sh, which installs the pinned packages first:
//   node tests/spec/asyncapi-validate.mjs <npm prefix> <repository root> [<samples dir>]
//
// 1. Every api/events/*.json is JSON Schema 2020-12 with $id = BASE + its file name
//    and compiles with Ajv 2020 in strict mode (ajv-formats for `format`).
//    Data schemas are the files not named *.schema.json; each is named after its
//    event type's suffix (case.created.json) and must be referenced by
//    cloudevent.schema.json and be the payload of a message of asyncapi.yaml.
// 2. case.schema.json describes the same Case as components/schemas/Case of
//    openapi.yaml (descriptions and examples aside), with every member required
//    and no others allowed.
// 3. api/asyncapi.yaml parses with @asyncapi/parser with no diagnostic of severity
//    error or warning; the message examples, if any, are valid.
// 4. Samples: `<type suffix>.<anything>.json` is event data, checked against
//    api/events/<type suffix>.json; `cloudevent.<anything>.json` is an HTTP feed
//    item, checked against cloudevent.schema.json and against the data schema of
//    its type, and for agreement between its attributes and its data. There must be
//    a sample of every type that has a data schema.
//
// Prints the problems, then one summary line; exits 1 on any problem.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const BASE = 'https://capa.example.org/schemas/events/';
const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const ENVELOPE = 'cloudevent.schema.json';
const CASE_SCHEMA = 'case.schema.json';
const LOG = 'lint-asyncapi';

const [prefixArg, rootArg, samplesArg] = process.argv.slice(2);
if (!prefixArg || !rootArg || process.argv.length > 5) {
    console.error(`usage: node asyncapi-validate.mjs <npm prefix> <repository root> [<samples dir>]`);
    process.exit(2);
}
const prefix = path.resolve(prefixArg);
const root = path.resolve(rootArg);
const eventsDir = path.join(root, 'api', 'events');
const asyncapiFile = path.join(root, 'api', 'asyncapi.yaml');
const openapiFile = path.join(root, 'openapi.yaml');

const require = createRequire(path.join(prefix, 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default ?? require('ajv-formats');
const yaml = require('js-yaml');
const { Parser, fromFile, DiagnosticSeverity } = require('@asyncapi/parser');
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

const problems = [];
function problem(where, message) {
    problems.push(`${where}: ${message}`);
    console.error(`${LOG}: ${where}: ${message}`);
}

function ajvErrors(errors, base = '', max = 12) {
    const lines = [];
    for (const e of errors ?? []) {
        // "must match "then" schema" and "property name must be valid" only repeat
        // the errors that caused them.
        if (e.keyword === 'if' || e.keyword === 'propertyNames') continue;
        const at = base + e.instancePath || '(root)';
        const p = e.params ?? {};
        if (e.propertyName !== undefined) {
            lines.push(`${at} property name ${JSON.stringify(e.propertyName)} ${e.message}` +
                (p.allowedValues ? ` ${JSON.stringify(p.allowedValues)}` : ''));
            continue;
        }
        const detail = p.additionalProperty ?? p.missingProperty ?? p.allowedValue ?? p.allowedValues;
        lines.push(`${at} ${e.message}${detail === undefined ? '' : ` (${JSON.stringify(detail)})`}`);
    }
    const unique = [...new Set(lines)];
    return unique.length > max ? [...unique.slice(0, max), `... ${unique.length - max} more`] : unique;
}

function readJson(file, where) {
    try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        problem(where, `not JSON: ${e.message}`);
        return undefined;
    }
}

// ---------------------------------------------------------------------------
// 1. The JSON Schemas.

const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
    logger: {
        log: () => {},
        warn: (...m) => problem('ajv', `warning: ${m.join(' ')}`),
        error: (...m) => problem('ajv', `error: ${m.join(' ')}`),
    },
});
addFormats(ajv);

let schemaFiles = [];
try {
    schemaFiles = fs.readdirSync(eventsDir).filter((f) => f.endsWith('.json')).sort();
} catch (e) {
    problem('api/events', e.message);
}
const schemas = new Map(); // file name -> schema
for (const file of schemaFiles) {
    const where = `api/events/${file}`;
    const schema = readJson(path.join(eventsDir, file), where);
    if (schema === undefined) continue;
    if (schema.$schema !== DIALECT) problem(where, `$schema must be ${DIALECT}`);
    if (schema.$id !== BASE + file) problem(where, `$id must be ${BASE + file}`);
    try {
        ajv.addSchema(schema);
        schemas.set(file, schema);
    } catch (e) {
        problem(where, e.message);
    }
}
let compiled = 0;
for (const [file, schema] of schemas) {
    try {
        ajv.getSchema(schema.$id);
        compiled++;
    } catch (e) {
        problem(`api/events/${file}`, `does not compile: ${e.message}`);
    }
}
const validator = (file) => {
    try {
        return schemas.has(file) ? ajv.getSchema(BASE + file) : undefined;
    } catch {
        return undefined;
    }
};

// Data schemas, by type suffix (case.created.json -> case.created).
const dataTypes = schemaFiles.filter((f) => !f.endsWith('.schema.json')).map((f) => f.slice(0, -'.json'.length));
if (dataTypes.length === 0) problem('api/events', 'no data schemas (<type suffix>.json)');
if (!schemas.has(ENVELOPE)) problem('api/events', `${ENVELOPE} is missing`);
if (!schemas.has(CASE_SCHEMA)) problem('api/events', `${CASE_SCHEMA} is missing`);

function collectRefs(node, out = new Set()) {
    if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
    else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
            if (k === '$ref' && typeof v === 'string') out.add(v);
            else collectRefs(v, out);
        }
    }
    return out;
}
if (schemas.has(ENVELOPE)) {
    const refs = collectRefs(schemas.get(ENVELOPE));
    for (const t of dataTypes) {
        if (!refs.has(`${t}.json`) && !refs.has(`${BASE}${t}.json`))
            problem(`api/events/${ENVELOPE}`, `has no branch for type *${t} (no $ref to ${t}.json)`);
    }
}

// The type suffix of a CloudEvents type: the longest data type it ends with, after
// the start or a non-alphanumeric character (the prefix is configurable).
function typeSuffix(type) {
    if (typeof type !== 'string') return undefined;
    let best;
    for (const t of dataTypes) {
        const before = type.length - t.length - 1;
        if (type.endsWith(t) && (before < 0 || /[^A-Za-z0-9]/.test(type[before])))
            if (best === undefined || t.length > best.length) best = t;
    }
    return best;
}

// ---------------------------------------------------------------------------
// 2. case.schema.json against components/schemas/Case of openapi.yaml.

const IGNORED = new Set(['description', 'examples', 'example', 'title', '$id', '$schema', '$comment', '$defs']);
function normalise(node, resolve, seen = []) {
    if (Array.isArray(node)) return node.map((n) => normalise(n, resolve, seen));
    if (!node || typeof node !== 'object') return node;
    let out = {};
    if (typeof node.$ref === 'string') {
        if (seen.includes(node.$ref)) throw new Error(`recursive $ref ${node.$ref}`);
        out = normalise(resolve(node.$ref), resolve, [...seen, node.$ref]);
    }
    for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' || IGNORED.has(k)) continue;
        out[k] = k === 'properties' || k === 'patternProperties'
            ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, normalise(s, resolve, seen)]))
            : normalise(v, resolve, seen);
    }
    if (Array.isArray(out.required)) out.required = [...out.required].sort();
    return out;
}
function differences(a, b, at, out) {
    if (out.length >= 20) return out;
    if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
        out.push(`${at}: openapi.yaml has ${JSON.stringify(a)}, ${CASE_SCHEMA} ${JSON.stringify(b)}`);
    } else if (a && typeof a === 'object') {
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
            if (!(k in a)) out.push(`${at}/${k}: only in api/events/${CASE_SCHEMA}`);
            else if (!(k in b)) out.push(`${at}/${k}: only in openapi.yaml`);
            else differences(a[k], b[k], `${at}/${k}`, out);
        }
    } else if (a !== b) {
        out.push(`${at}: openapi.yaml has ${JSON.stringify(a)}, ${CASE_SCHEMA} ${JSON.stringify(b)}`);
    }
    return out;
}
let caseMatches; // true, false, or undefined when not compared
if (schemas.has(CASE_SCHEMA)) {
    const where = `api/events/${CASE_SCHEMA}`;
    try {
        const openapi = yaml.load(fs.readFileSync(openapiFile, 'utf8'));
        const oaSchemas = openapi?.components?.schemas ?? {};
        if (!oaSchemas.Case) throw new Error('openapi.yaml has no components/schemas/Case');
        const oaResolve = (ref) => {
            const m = /^#\/components\/schemas\/([^/]+)$/.exec(ref);
            if (!m || !oaSchemas[m[1]]) throw new Error(`openapi.yaml: cannot resolve ${ref}`);
            return oaSchemas[m[1]];
        };
        const eventCase = schemas.get(CASE_SCHEMA);
        const evResolve = (ref) => {
            const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
            if (!m || !eventCase.$defs?.[m[1]]) throw new Error(`${where}: cannot resolve ${ref}`);
            return eventCase.$defs[m[1]];
        };
        const ours = normalise(eventCase, evResolve);
        const theirs = normalise(oaSchemas.Case, oaResolve);
        const before = problems.length;
        if (ours.additionalProperties !== false) problem(where, 'must have additionalProperties: false');
        const props = Object.keys(ours.properties ?? {}).sort();
        if (JSON.stringify(ours.required) !== JSON.stringify(props))
            problem(where, 'every property must be required');
        // Events require every member and allow no others, whatever openapi.yaml
        // says; the rest must be the same.
        for (const s of [ours, theirs]) {
            delete s.required;
            if (s.additionalProperties === false) delete s.additionalProperties;
        }
        for (const d of differences(theirs, ours, '', [])) problem(where, `differs from openapi.yaml Case: ${d}`);
        caseMatches = problems.length === before;
    } catch (e) {
        problem(where, `cannot compare with openapi.yaml: ${e.message}`);
    }
}

// ---------------------------------------------------------------------------
// 3. asyncapi.yaml with the official parser.

const severityName = { [DiagnosticSeverity.Error]: 'error', [DiagnosticSeverity.Warning]: 'warning',
    [DiagnosticSeverity.Information]: 'info', [DiagnosticSeverity.Hint]: 'hint' };
const counts = { error: 0, warning: 0, info: 0, hint: 0 };
const infoCodes = new Set(); // infos and hints pass; the summary names them
// For the headers schemas as parsed, which carry the parser's x-parser-* keywords
// (the strict instance above has checked the schemas themselves).
const loose = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true, logger: false });
addFormats(loose);
let examplesChecked = 0;
{
    const where = 'api/asyncapi.yaml';
    let document;
    let diagnostics = [];
    try {
        ({ document, diagnostics } = await fromFile(new Parser(), asyncapiFile).parse());
    } catch (e) {
        problem(where, `cannot parse: ${e.message}`);
    }
    for (const d of diagnostics) {
        const sev = severityName[d.severity] ?? `severity ${d.severity}`;
        counts[sev] = (counts[sev] ?? 0) + 1;
        // The source is the file the diagnostic is in: asyncapi.yaml or a file it refers to.
        const file = d.source ? path.relative(root, d.source) : where;
        const line = d.range?.start ? `:${d.range.start.line + 1}` : '';
        const msg = `${sev} ${d.code}: ${d.message} (at ${d.path.join('.') || '(root)'})`;
        if (d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning) problem(file + line, msg);
        else infoCodes.add(d.code);
    }
    if (!document) {
        if (diagnostics.length) problem(where, 'the parser returned no document');
    } else {
        // The messages capa sends: those of its send operations.
        const sent = new Set();
        for (const o of document.operations().all())
            if (o.action() === 'send') for (const m of o.messages().all()) sent.add(m.id());
        const covered = new Set();
        for (const m of document.allMessages().all()) {
            const mw = `${where}: message ${m.id()}`;
            const payloadId = m.payload()?.json()?.$id;
            const file = typeof payloadId === 'string' && payloadId.startsWith(BASE) ? payloadId.slice(BASE.length) : '';
            const type = file.slice(0, -'.json'.length);
            if (!dataTypes.includes(type)) {
                problem(mw, `payload is not one of the data schemas of api/events ($id ${payloadId})`);
                continue;
            }
            if (sent.has(m.id())) covered.add(type);
            else problem(mw, 'is not sent by any send operation');
            let headers;
            try {
                headers = m.headers() ? loose.compile(m.headers().json()) : undefined;
            } catch (e) {
                problem(mw, `headers schema does not compile: ${e.message}`);
            }
            for (const [i, ex] of m.examples().all().entries()) {
                const ew = `${mw}, example ${ex.name() ?? i + 1}`;
                examplesChecked++;
                const v = validator(file);
                if (ex.hasPayload() && v && !v(ex.payload())) ajvErrors(v.errors).forEach((e) => problem(ew, `payload ${e}`));
                if (ex.hasHeaders() && headers && !headers(ex.headers()))
                    ajvErrors(headers.errors).forEach((e) => problem(ew, `headers ${e}`));
                if (ex.hasHeaders() && ex.hasPayload()) {
                    const attrs = Object.fromEntries(Object.entries(ex.headers())
                        .filter(([k]) => k.startsWith('ce_')).map(([k, v2]) => [k.slice(3), v2]));
                    agreement(attrs, ex.payload(), type, ew);
                }
            }
        }
        for (const t of dataTypes)
            if (!covered.has(t)) problem(where, `no message of a send operation has payload api/events/${t}.json`);
    }
}

// Attributes that must agree with each other and with the data (type errors are
// left to the schemas).
function agreement(attrs, data, type, where) {
    const str = (v) => typeof v === 'string';
    if (typeSuffix(attrs.type) !== type) problem(where, `type ${JSON.stringify(attrs.type)} is not a *${type}`);
    if (str(attrs.dataschema) && !attrs.dataschema.endsWith(`${type}.json`))
        problem(where, `dataschema ${attrs.dataschema} does not end in ${type}.json`);
    if (str(attrs.subject) && str(attrs.partitionkey) && attrs.subject !== `cases/${attrs.partitionkey}`)
        problem(where, `subject ${attrs.subject} is not cases/<partitionkey ${attrs.partitionkey}>`);
    const c = data?.case;
    if (c && typeof c === 'object') {
        if (str(attrs.partitionkey) && str(c.id) && c.id !== attrs.partitionkey)
            problem(where, `partitionkey ${attrs.partitionkey} is not data.case.id ${c.id}`);
        if (str(attrs.sequence) && Number.isInteger(c.version) && attrs.sequence !== String(c.version))
            problem(where, `sequence "${attrs.sequence}" is not data.case.version ${c.version}`);
    }
}

// ---------------------------------------------------------------------------
// 4. Samples.

let samples = null; // { data, feed, byType }
if (samplesArg !== undefined) {
    const dir = path.resolve(samplesArg);
    samples = { data: 0, feed: 0, byType: Object.fromEntries(dataTypes.map((t) => [t, 0])) };
    const envelope = validator(ENVELOPE);
    let entries = [];
    try {
        entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    } catch (e) {
        problem(samplesArg, `cannot read the samples directory: ${e.message}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
        const name = entry.name;
        const where = `${samplesArg.replace(/\/+$/, '')}/${name}`;
        if (!entry.isFile()) {
            problem(where, 'not a regular file');
            continue;
        }
        const isFeed = /^cloudevent\..+\.json$/.test(name);
        const dataType = isFeed ? undefined
            : dataTypes.filter((t) => name.startsWith(`${t}.`) && name.length > t.length + '..json'.length && name.endsWith('.json'))
                .sort((a, b) => b.length - a.length)[0];
        if (!isFeed && !dataType) {
            problem(where, `not a sample name: expected cloudevent.<anything>.json or <type>.<anything>.json, <type> one of ${dataTypes.join(', ')}`);
            continue;
        }
        const value = readJson(path.join(dir, name), where);
        if (value === undefined) continue;
        if (dataType) {
            samples.data++;
            samples.byType[dataType]++;
            const v = validator(`${dataType}.json`);
            if (v && !v(value)) ajvErrors(v.errors).forEach((e) => problem(where, e));
            continue;
        }
        samples.feed++;
        let dataChecked = false;
        if (envelope && !envelope(value)) {
            ajvErrors(envelope.errors).forEach((e) => problem(where, e));
            dataChecked = envelope.errors.some((e) => e.instancePath === '/data' || e.instancePath.startsWith('/data/'));
        }
        const type = typeSuffix(value?.type);
        if (!type) {
            problem(where, `type ${JSON.stringify(value?.type)} has no data schema in api/events`);
            continue;
        }
        samples.byType[type]++;
        // The envelope checks data by type too; this also catches a type it has no branch for.
        const v = validator(`${type}.json`);
        if (v && !dataChecked && !v(value.data)) ajvErrors(v.errors, '/data').forEach((e) => problem(where, e));
        agreement(value, value.data, type, where);
    }
    for (const [t, n] of Object.entries(samples.byType))
        if (n === 0) problem(samplesArg, `no sample of type ${t} (neither ${t}.<anything>.json nor a cloudevent.<anything>.json of that type)`);
}

// ---------------------------------------------------------------------------
// Summary.

const n = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
const parts = [
    `asyncapi.yaml: ${n(counts.error, 'error')}, ${n(counts.warning, 'warning')}, ${counts.info + counts.hint} info` +
        (infoCodes.size ? ` (${[...infoCodes].join(', ')})` : '') +
        (examplesChecked ? `, ${n(examplesChecked, 'example')} checked` : ''),
    `${compiled}/${schemaFiles.length} schemas compile`,
    caseMatches === undefined ? 'Case not compared with openapi.yaml' : `Case ${caseMatches ? 'matches' : 'DIFFERS from'} openapi.yaml`,
];
if (samples) {
    parts.push(`samples: ${samples.data} data + ${samples.feed} feed items (` +
        Object.entries(samples.byType).map(([t, n]) => `${t} ${n}`).join(', ') + ')');
}
const versions = `@asyncapi/parser ${versionOf('@asyncapi/parser')}, ajv ${versionOf('ajv')}, ` +
    `ajv-formats ${versionOf('ajv-formats')}, node ${process.versions.node}`;
const verdict = problems.length ? `FAIL (${n(problems.length, 'problem')})` : 'OK';
console.error(`${LOG}: ${verdict}: ${parts.join('; ')} [${versions}]`);
process.exit(problems.length ? 1 : 0);
