// openapi-responses.mjs - every HTTP response the integration tests received,
// checked against openapi.yaml.
//
// Run by tests/spec/lint-openapi.sh SAMPLES_DIR, which installs the pinned packages:
//   node tests/spec/openapi-responses.mjs <npm prefix> <repository root> <samples dir>
//
// The samples are the *.jsonl files the integration harness writes with
// CAPA_HTTP_SAMPLES_DIR set: one {"method", "path", "status", "content_type",
// "body"} per response (body: the JSON body, or null). For each:
//   - the operation is the path template and method of openapi.yaml that match
//     (HEAD as GET); a path no template matches must have been answered 404 or
//     405 with a Problem;
//   - the status must be documented for the operation (exactly, or as 4XX/5XX,
//     or default): an answer the document does not describe is a failure. 414
//     and 431 come from the HTTP server before any operation (info.description);
//   - the Content-Type must be one the response documents (when it has a body);
//   - a JSON body must be valid against the response's schema (JSON Schema
//     2020-12, Ajv with ajv-formats, the components compiled once).
// Prints each distinct problem once with its count and first example, then a
// summary; exits 1 on any problem, and when there are no samples at all.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const LOG = 'openapi-responses';
const BASE = 'https://capa.example.org/openapi/components/schemas/';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
// Answered by the HTTP server before any operation, on every path (info.description
// says so): a request line (414) or a header block (431) over the connection's memory.
const BEFORE_ROUTING = new Set([414, 431]);

const [prefixArg, rootArg, samplesArg] = process.argv.slice(2);
if (!prefixArg || !rootArg || !samplesArg || process.argv.length > 5) {
    console.error('usage: node openapi-responses.mjs <npm prefix> <repository root> <samples dir>');
    process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefixArg), 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default ?? require('ajv-formats');
const yaml = require('js-yaml');

const spec = yaml.load(fs.readFileSync(path.join(rootArg, 'openapi.yaml'), 'utf8'));

// '#/components/schemas/X/...' -> BASE + 'X#/...', so each component is a schema of its own.
function rebase(node) {
    if (Array.isArray(node))
        return node.map(rebase);
    if (node === null || typeof node !== 'object')
        return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
            const [name, ...rest] = v.slice('#/components/schemas/'.length).split('/');
            out[k] = BASE + name + (rest.length ? '#/' + rest.join('/') : '');
        } else {
            out[k] = rebase(v);
        }
    }
    return out;
}

// Spec-level references (#/components/responses/X and the like), followed.
function deref(node) {
    let seen = 0;
    while (node && typeof node.$ref === 'string' && !node.$ref.startsWith('#/components/schemas/')) {
        if (!node.$ref.startsWith('#/') || ++seen > 10)
            throw new Error(`cannot follow ${node.$ref}`);
        node = node.$ref.slice(2).split('/').reduce((n, k) => n?.[k.replace(/~1/g, '/')], spec);
    }
    return node;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
for (const [name, schema] of Object.entries(spec.components?.schemas ?? {}))
    ajv.addSchema({ ...rebase(schema), $id: BASE + name });

// Path templates as regular expressions, literal segments first so /v1/cases/export wins over {id}.
const operations = [];
for (const [template, item] of Object.entries(spec.paths ?? {})) {
    const literal = template.split('/').filter((s) => !s.startsWith('{')).length;
    const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{[^}]+\}/g, '[^/]+') + '$');
    operations.push({ template, item, re, literal });
}
operations.sort((a, b) => b.literal - a.literal);

const validators = new Map();
function validatorFor(key, schema) {
    if (!validators.has(key))
        validators.set(key, ajv.compile(rebase(schema)));
    return validators.get(key);
}

function mediaMatch(content, type) {
    if (!content)
        return null;
    const keys = Object.keys(content);
    const exact = keys.find((k) => k.split(';')[0].trim() === type);
    if (exact)
        return exact;
    return keys.find((k) => k === `${type.split('/')[0]}/*`) ?? keys.find((k) => k === '*/*') ?? null;
}

const problems = new Map(); // message -> {count, example}
function problem(message, sample) {
    const p = problems.get(message) ?? { count: 0, example: sample };
    p.count++;
    problems.set(message, p);
}

// The errors of one body, array indexes as * so that one fault reads as one problem.
function ajvText(errors) {
    const texts = (errors ?? []).map((e) => `${(e.instancePath || '(body)').replace(/\/\d+(?=\/|$)/g, '/*')} ` +
        `${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
    return [...new Set(texts)].slice(0, 4).join('; ');
}

let total = 0, validated = 0;
const covered = new Set();
const files = fs.readdirSync(samplesArg).filter((f) => f.endsWith('.jsonl')).sort();
for (const file of files) {
    const lines = fs.readFileSync(path.join(samplesArg, file), 'utf8').split('\n');
    for (const line of lines) {
        if (!line)
            continue;
        const s = JSON.parse(line);
        total++;
        const method = s.method.toUpperCase() === 'HEAD' ? 'get' : s.method.toLowerCase();
        const type = (s.content_type || '').split(';')[0].trim().toLowerCase();
        const where = `${file}: ${s.method} ${s.path.length > 120 ? s.path.slice(0, 120) + "..." : s.path} -> ${s.status}`;
        if (BEFORE_ROUTING.has(s.status)) {
            if (type.endsWith('json'))
                problem(`${s.status} before routing came as ${type}, not the server's page`, where);
            covered.add(`(server) ${s.status}`);
            continue;
        }
        const op = operations.find((o) => o.re.test(s.path));
        let response, name;
        if (!op || !METHODS.includes(method) || !op.item[method]) {
            // no operation: capad's answer to an unknown path or method is a problem
            if (s.status !== 404 && s.status !== 405 && s.status !== 401 && s.status !== 429 &&
                s.status < 500) {
                problem(`${op ? 'a method' : 'a path'} openapi.yaml does not describe answered ${s.status}`, where);
                continue;
            }
            name = `(no operation) ${s.status}`;
            response = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
        } else {
            const responses = op.item[method].responses ?? {};
            const key = [String(s.status), `${String(s.status)[0]}XX`, 'default'].find((k) => k in responses);
            name = `${method.toUpperCase()} ${op.template} ${s.status}`;
            if (!key) {
                problem(`${name}: the status is not documented`, where);
                continue;
            }
            response = deref(responses[key]);
        }
        covered.add(name);
        if (s.method.toUpperCase() === 'HEAD' || s.status === 204 || s.status === 304)
            continue;
        const media = mediaMatch(response.content, type);
        if (!media) {
            if (response.content || s.body !== null)
                problem(`${name}: Content-Type ${type || '(none)'} is not documented` +
                    (response.content ? ` (${Object.keys(response.content).join(', ')})` : ''), where);
            continue;
        }
        const schema = response.content[media]?.schema;
        if (!schema || !(type.endsWith('json')))
            continue;
        if (s.body === null) {
            problem(`${name}: ${type} without a JSON body`, where);
            continue;
        }
        const validate = validatorFor(`${name} ${media}`, schema);
        validated++;
        if (!validate(s.body))
            problem(`${name}: ${ajvText(validate.errors)}`, `${where}: ${JSON.stringify(s.body).slice(0, 300)}`);
    }
}

for (const [message, p] of [...problems].sort()) {
    console.error(`${LOG}: FAIL ${message} (${p.count}x)\n    e.g. ${p.example}`);
}
if (total === 0)
    console.error(`${LOG}: FAIL no samples in ${samplesArg}: were the integration tests run with CAPA_HTTP_SAMPLES_DIR?`);
console.error(`${LOG}: ${total} responses in ${files.length} files, ${validated} bodies validated, ` +
    `${covered.size} operation/status pairs seen, ${problems.size} distinct problems`);
process.exit(problems.size > 0 || total === 0 ? 1 : 0);
