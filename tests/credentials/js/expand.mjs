// jsonld.js (npm `jsonld`): expand and canonicalise documents in safe mode, with only the contexts given.
// stdin: {"contexts": {url: text}, "documents": {name: document}}; stdout: {name: {expanded, nquads} | {error}}.
import jsonld from "jsonld";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { contexts, documents } = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const documentLoader = async (url) => {
  if (!(url in contexts)) throw new Error(`context not given: ${url}`);
  return { contextUrl: null, documentUrl: url, document: JSON.parse(contexts[url]) };
};

const answers = {};
for (const [name, document] of Object.entries(documents)) {
  try {
    const expanded = await jsonld.expand(document, { documentLoader, safe: true });
    const nquads = await jsonld.canonize(document, {
      algorithm: "RDFC-1.0", format: "application/n-quads", documentLoader, safe: true,
    });
    answers[name] = { expanded, nquads };
  } catch (error) {
    answers[name] = { error: String(error && error.message ? error.message : error) };
  }
}
process.stdout.write(JSON.stringify(answers));
