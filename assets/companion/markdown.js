// Model text as DOM: fenced code, headings, lists, paragraphs, `code`, **bold** and *emphasis*.
// Every piece of text goes in through textContent, never innerHTML, so nothing a model writes can
// become markup.

export function markdown(text) {
  const root = document.createDocumentFragment();
  const lines = text.split("\n");
  let list = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) root.append(block("p", paragraph.join(" ")));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*```\s*([\w+-]*)/);
    if (fence) {
      flush();
      list = null;
      const code = [];
      // An unclosed fence (a reply still streaming) runs to the end.
      while (++i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i]);
      const pre = document.createElement("pre");
      const el = document.createElement("code");
      if (fence[1]) el.dataset.lang = fence[1];
      el.textContent = code.join("\n");
      pre.append(el);
      root.append(pre);
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const item = line.match(/^\s*(?:[-*+]|(\d+)[.)])\s+(.*)$/);
    if (heading) {
      flush();
      list = null;
      root.append(block(`h${Math.min(heading[1].length + 2, 6)}`, heading[2]));
    } else if (item) {
      flush();
      const kind = item[1] ? "ol" : "ul";
      if (!list || list.tagName.toLowerCase() !== kind) {
        list = document.createElement(kind);
        root.append(list);
      }
      list.append(block("li", item[2]));
    } else if (!line.trim()) {
      flush();
      list = null;
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}

function block(tag, text) {
  const el = document.createElement(tag);
  el.append(...inline(text));
  return el;
}

// `code` first (nothing inside it is emphasis), then **bold**, then *emphasis*.
function inline(text) {
  const nodes = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > at) nodes.push(document.createTextNode(text.slice(at, m.index)));
    const tag = m[1] !== undefined ? "code" : m[2] !== undefined ? "strong" : "em";
    const el = document.createElement(tag);
    el.textContent = m[1] ?? m[2] ?? m[3];
    nodes.push(el);
    at = m.index + m[0].length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
