// Site search: the chapters explain a word, the reference pages (glossary, API, checked claims) list it.
// Sphinx lets a site set Scorer.score (searchtools.js); results are sorted by the score it returns.
// A glossary term is an index entry scored near 100, far above a chapter's text match, so the
// reference pages are moved after every chapter instead of being weighed against them.
if (typeof Scorer !== "undefined") {
  Scorer.score = (result) => {
    const [docname, , , , score] = result;
    return docname.startsWith("chapters/reference/") ? score - 1000 : score;
  };
}
