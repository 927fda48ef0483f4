// Package manpage implements the roff(7) output of lvsd's manual pages
// (man(7) macros): escaping, inline markup, and the conversion of the
// Markdown subset config/REFERENCE.md is written in (headings, paragraphs,
// "- " lists, pipe tables, `code`, **bold**, *italic*, [links](url)) into
// a page body, so lvsd.toml(5) is generated from the reference and cannot
// drift from it.
//
// Out of scope: fenced code blocks, nested lists, HTML, numbered lists
// (they become plain paragraphs). Functions are pure and safe for
// concurrent use.
package manpage
