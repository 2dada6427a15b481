// incident-bot demo page: renders the sandbox workspace as Slack would, and reports what a person does to
// the demo server, which sends the bot the same signed requests Slack would. Plain browser JavaScript.
"use strict";

(function () {
  const POLL_MS = 1000;
  const EMOJI = {
    red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡", large_blue_circle: "🔵",
    large_green_circle: "🟢", white_circle: "⚪", black_circle: "⚫", rotating_light: "🚨", eyes: "👀",
    white_check_mark: "✅", heavy_check_mark: "✔️", grey_question: "❔", question: "❓", lock: "🔒",
    unlock: "🔓", mute: "🔇", sound: "🔊", warning: "⚠️", bell: "🔔", no_bell: "🔕", fire: "🔥", x: "❌",
    information_source: "ℹ️", link: "🔗", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
    clipboard: "📋", bar_chart: "📊", key: "🔑", hourglass: "⌛", hourglass_flowing_sand: "⏳",
    stopwatch: "⏱️", tada: "🎉", memo: "📝", pushpin: "📌", zzz: "💤", wave: "👋", no_entry: "⛔",
    no_entry_sign: "🚫", arrow_right: "➡️", speech_balloon: "💬", mag: "🔍", repeat: "🔁",
    arrows_counterclockwise: "🔄", construction: "🚧", thumbsup: "👍", "+1": "👍", ok_hand: "👌",
    point_right: "👉", sparkles: "✨", boom: "💥", siren: "🚨", hammer_and_wrench: "🛠️", gear: "⚙️",
    calendar: "📅", clock3: "🕒", inbox_tray: "📥", outbox_tray: "📤", electric_plug: "🔌",
    small_red_triangle: "🔺", small_blue_diamond: "🔹", heavy_minus_sign: "➖", heavy_plus_sign: "➕",
  };
  // What a severity or status emoji means, shown beside it unless the text right after already says so:
  // without an emoji font the glyph is a blank box, and a colour alone is no label anyway.
  const EMOJI_LABELS = {
    red_circle: "critical", large_orange_circle: "error", large_yellow_circle: "warning",
    large_blue_circle: "info", white_circle: "low", black_circle: "unknown severity",
    rotating_light: "triggered", eyes: "acknowledged", white_check_mark: "resolved", lock: "closed",
    mute: "muted", grey_question: "unknown",
  };
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const REPLY_WAIT_MS = 60000;
  const HOME = "__home__"; // the app's Home tab, shown where a channel would be

  const view = {
    user: localStorage.getItem("demo.user") || "U0ALICE",
    channel: localStorage.getItem("demo.channel") || null,
    thread: null, // {channel, ts}
    state: null,
    version: null,
    seen: {}, // channel id -> number of messages seen
    dismissed: new Set(), // ephemeral message_ts dismissed by this person
    modalKey: null,
    pendingConfirm: null,
    awaitingReply: null, // {channel, known: Set of ephemeral ts, until}: the person's own /cx answer
  };
  const $ = (id) => document.getElementById(id);
  const usersById = () => Object.fromEntries((view.state ? view.state.users : []).map((u) => [u.id, u]));

  // ------------------------------------------------------------------------------------------ API

  async function api(path, body) {
    const response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      throw new Error((data && data.error) || `the demo server answered ${response.status}`);
    }
    return data;
  }

  // Sends what the person did; a refusal is shown as a toast unless the caller shows it itself.
  async function act(path, body, options) {
    const quiet = options && options.quiet;
    try {
      const outcome = await api(path, { user: view.user, ...body });
      if (outcome && outcome.ok === false && outcome.error && !quiet) toast(outcome.error);
      return outcome;
    } catch (error) {
      if (!quiet) toast(error.message);
      return { ok: false, error: error.message };
    } finally {
      refresh();
    }
  }

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // ------------------------------------------------------------------------------------- polling

  let polling = false;
  async function refresh() {
    if (polling) return;
    polling = true;
    try {
      const state = await api(`/api/state?user=${encodeURIComponent(view.user)}`);
      $("connection").textContent = "";
      if (state.version !== view.version) {
        view.state = state;
        view.version = state.version;
        render();
      }
    } catch (error) {
      $("connection").textContent = "demo server unreachable — retrying…";
    } finally {
      polling = false;
    }
  }

  function loop() {
    refresh().finally(() => setTimeout(loop, POLL_MS));
  }

  // ------------------------------------------------------------------------------------- mrkdwn

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function decodeEntities(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function safeHref(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : null;
  }

  function emojify(html) {
    return html.replace(/:([a-z0-9_+\-]+):/g, (whole, name, offset, all) => {
      const glyph = EMOJI[name];
      if (!glyph) return whole;
      const label = EMOJI_LABELS[name];
      if (!label) return `<span class="emoji">${glyph}</span>`;
      const shown = `<span class="emoji" role="img" aria-label="${label}">${glyph}</span>`;
      const next = all.slice(offset + whole.length).replace(/^(\s|<[^>]*>|\[)+/, "").toLowerCase();
      return next.startsWith(label) ? shown : `${shown}<span class="emoji-label">${label}</span>`;
    });
  }

  // Slack's date tokens, <!date^EPOCH^FORMAT|fallback>, in the reader's own time zone.
  function slackDate(epoch, format, fallback) {
    if (!Number.isFinite(epoch) || !format) return fallback;
    const date = new Date(epoch * 1000);
    const dayStart = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const days = Math.round((dayStart(date) - dayStart(new Date())) / 86400000);
    const pretty = (plain) => ({ 0: "Today", [-1]: "Yesterday", 1: "Tomorrow" })[days] || plain;
    const day = date.getDate();
    const nth = day % 10 === 1 && day !== 11 ? "st" : day % 10 === 2 && day !== 12 ? "nd"
      : day % 10 === 3 && day !== 13 ? "rd" : "th";
    const month = MONTHS[date.getMonth()];
    const full = `${month} ${day}${nth}, ${date.getFullYear()}`;
    const short = `${month.slice(0, 3)} ${day}, ${date.getFullYear()}`;
    const long = `${WEEKDAYS[date.getDay()]}, ${full}`;
    const pad = (n) => String(n).padStart(2, "0");
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    const ago = Math.abs(seconds) < 60 ? "just now"
      : Math.abs(seconds) < 3600 ? `${Math.round(Math.abs(seconds) / 60)} minutes ${seconds > 0 ? "ago" : "from now"}`
      : Math.abs(seconds) < 86400 ? `${Math.round(Math.abs(seconds) / 3600)} hours ${seconds > 0 ? "ago" : "from now"}`
      : short;
    const tokens = {
      date_num: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(day)}`,
      date: full, date_short: short, date_long: long,
      date_pretty: pretty(full), date_short_pretty: pretty(short), date_long_pretty: pretty(long),
      time: `${pad(date.getHours())}:${pad(date.getMinutes())}`,
      time_secs: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
      ago,
    };
    let unknown = false;
    const text = format.replace(/\{([a-z_]+)\}/g, (whole, name) => {
      if (name in tokens) return tokens[name];
      unknown = true;
      return whole;
    });
    return unknown ? fallback : text;
  }

  function styleText(html) {
    return emojify(html)
      .replace(/(^|[\s(])\*(?!\s)([^*\n]+?)\*(?=$|[\s).,!?:;])/g, "$1<b>$2</b>")
      .replace(/(^|[\s(])_(?!\s)([^_\n]+?)_(?=$|[\s).,!?:;])/g, "$1<i>$2</i>")
      .replace(/(^|[\s(])~(?!\s)([^~\n]+?)~(?=$|[\s).,!?:;])/g, "$1<s>$2</s>");
  }

  function angleToken(inner) {
    const [target, label] = splitOnce(inner, "|");
    const users = usersById();
    if (target.startsWith("@")) {
      const user = users[target.slice(1)];
      const name = label || (user ? user.name : target.slice(1));
      return `<span class="mention" data-user="${escapeHtml(target.slice(1))}">@${escapeHtml(name)}</span>`;
    }
    if (target.startsWith("#")) {
      const channel = (view.state ? view.state.channels : []).find((c) => c.id === target.slice(1));
      return `<span class="mention">#${escapeHtml(label || (channel ? channel.name : target.slice(1)))}</span>`;
    }
    if (target.startsWith("!date^")) {
      const [, epoch, format] = target.split("^");
      const fallback = decodeEntities(label || "");
      const shown = slackDate(Number(epoch), decodeEntities(format || ""), fallback);
      return `<span class="date" title="${escapeHtml(fallback)}">${escapeHtml(shown)}</span>`;
    }
    if (target.startsWith("!subteam^")) {
      return `<span class="mention">${escapeHtml(label || "@team")}</span>`;
    }
    if (target.startsWith("!")) {
      return `<span class="mention">@${escapeHtml(label || target.slice(1))}</span>`;
    }
    const href = safeHref(decodeEntities(target));
    const text = escapeHtml(decodeEntities(label || target));
    if (!href) return text;
    return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${styleText(text)}</a>`;
  }

  function splitOnce(text, separator) {
    const at = text.indexOf(separator);
    return at === -1 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
  }

  // Slack's mrkdwn: entities &amp; &lt; &gt; in the text, <…> for links, mentions and dates.
  function mrkdwn(text) {
    let html = "";
    const parts = String(text).split(/(```[\s\S]*?```|`[^`\n]+`)/);
    for (const part of parts) {
      if (part.startsWith("```") && part.length >= 6) {
        html += `<pre>${escapeHtml(decodeEntities(part.slice(3, -3)))}</pre>`;
      } else if (part.startsWith("`") && part.length >= 2 && part.endsWith("`")) {
        html += `<code>${escapeHtml(decodeEntities(part.slice(1, -1)))}</code>`;
      } else {
        for (const piece of part.split(/(<[^<>\n]+>)/)) {
          if (piece.startsWith("<") && piece.endsWith(">")) html += angleToken(piece.slice(1, -1));
          else html += styleText(escapeHtml(decodeEntities(piece)));
        }
      }
    }
    return html;
  }

  function textObject(object, className) {
    const node = document.createElement("div");
    node.className = className || "";
    if (!object) return node;
    if (object.type === "mrkdwn") {
      node.classList.add("mrkdwn");
      node.innerHTML = mrkdwn(object.text || "");
    } else {
      node.classList.add("plain");
      const text = String(object.text || "");
      node.innerHTML = object.emoji === false ? escapeHtml(text) : emojify(escapeHtml(text));
    }
    return node;
  }

  function plainText(object) {
    const text = object && object.text ? String(object.text) : "";
    return text.replace(/:([a-z0-9_+\-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  // ---------------------------------------------------------------------------------- Block Kit

  // where: {kind: "message"|"ephemeral"|"view", channel, ts, viewId}
  function renderBlocks(blocks, where, errors) {
    const fragment = document.createDocumentFragment();
    (blocks || []).forEach((block, index) => {
      const node = renderBlock(block, where, index, errors || {});
      if (node) fragment.appendChild(node);
    });
    return fragment;
  }

  function renderBlock(block, where, index, errors) {
    const node = document.createElement("div");
    node.className = `block block-${block.type}`;
    if (block.block_id) node.dataset.blockId = block.block_id;
    switch (block.type) {
      case "header":
        node.appendChild(textObject(block.text));
        return node;
      case "section": {
        const main = document.createElement("div");
        main.className = "section-main";
        if (block.text) main.appendChild(textObject(block.text));
        if (block.fields && block.fields.length) {
          const fields = document.createElement("div");
          fields.className = "fields";
          block.fields.forEach((field) => fields.appendChild(textObject(field, "field")));
          main.appendChild(fields);
        }
        node.appendChild(main);
        if (block.accessory) node.appendChild(renderElement(block.accessory, block, where, index));
        return node;
      }
      case "context":
        (block.elements || []).forEach((element) => {
          if (element.type === "image") node.appendChild(altText(element));
          else node.appendChild(textObject(element));
        });
        return node;
      case "divider": {
        const hr = document.createElement("hr");
        hr.className = "block block-divider";
        return hr;
      }
      case "actions":
        (block.elements || []).forEach((element) => node.appendChild(renderElement(element, block, where, index)));
        return node;
      case "input":
        return renderInput(block, index, errors);
      case "image":
        node.appendChild(altText(block));
        return node;
      case "rich_text":
        node.appendChild(textObject({ type: "mrkdwn", text: richTextAsMrkdwn(block) }));
        return node;
      default:
        node.innerHTML = `<span class="unsupported">[${escapeHtml(String(block.type))} block]</span>`;
        return node;
    }
  }

  function altText(image) {
    const span = document.createElement("span");
    span.className = "unsupported";
    span.textContent = `[image: ${image.alt_text || "no description"}]`;
    return span;
  }

  function richTextAsMrkdwn(block) {
    const out = [];
    const walk = (element) => {
      if (!element) return;
      if (element.type === "text") out.push(element.text || "");
      else if (element.type === "link") out.push(`<${element.url}|${element.text || element.url}>`);
      else if (element.type === "user") out.push(`<@${element.user_id}>`);
      else if (element.type === "emoji") out.push(`:${element.name}:`);
      (element.elements || []).forEach(walk);
    };
    walk(block);
    return out.join("");
  }

  function blockIdOf(block, index) {
    return block.block_id || "";
  }

  function renderElement(element, block, where, index) {
    const blockId = blockIdOf(block, index);
    if (element.type === "button") {
      const button = document.createElement(element.url ? "a" : "button");
      button.className = `button${element.style ? " " + element.style : ""}`;
      button.textContent = plainText(element.text);
      button.dataset.actionId = element.action_id || "";
      if (element.url) {
        button.href = safeHref(element.url) || "#";
        button.target = "_blank";
        button.rel = "noopener noreferrer";
      } else {
        button.type = "button";
      }
      button.addEventListener("click", () => {
        // Slack opens a link button's URL and also tells the app it was clicked.
        const send = () => sendAction(element, blockId, where);
        if (element.confirm) askToConfirm(element.confirm, send);
        else send();
      });
      return button;
    }
    if (["users_select", "static_select", "overflow"].includes(element.type)) {
      const select = document.createElement("select");
      select.className = element.type === "users_select" ? "users-select" : "static-select";
      select.dataset.actionId = element.action_id || "";
      fillSelect(select, element);
      select.addEventListener("change", () => {
        const chosen = { ...element };
        if (element.type === "users_select") chosen.selected_user = select.value;
        else chosen.selected_option = optionByValue(element, select.value);
        const send = () => sendAction(chosen, blockId, where);
        if (element.confirm) askToConfirm(element.confirm, send);
        else send();
      });
      return select;
    }
    if (element.type === "image") return altText(element);
    const span = document.createElement("span");
    span.className = "unsupported";
    span.textContent = `[${element.type}]`;
    return span;
  }

  function fillSelect(select, element, initial) {
    const placeholder = document.createElement("option");
    placeholder.value = "";
    placeholder.textContent = plainText(element.placeholder) || (element.type === "overflow" ? "⋯" : "Select…");
    placeholder.disabled = true;
    select.appendChild(placeholder);
    if (element.type === "users_select") {
      for (const user of view.state.users.filter((u) => !u.is_bot)) {
        const option = document.createElement("option");
        option.value = user.id;
        option.textContent = `${user.real_name} (@${user.name})`;
        select.appendChild(option);
      }
      select.value = initial || element.initial_user || "";
    } else {
      for (const option of allOptions(element)) {
        const node = document.createElement("option");
        node.value = option.value;
        node.textContent = plainText(option.text);
        select.appendChild(node);
      }
      select.value = initial || (element.initial_option ? element.initial_option.value : "");
    }
  }

  function allOptions(element) {
    const groups = element.option_groups || [];
    return (element.options || []).concat(...groups.map((group) => group.options || []));
  }

  function optionByValue(element, value) {
    return allOptions(element).find((option) => option.value === value) || null;
  }

  function askToConfirm(confirm, proceed) {
    $("confirm-title").textContent = plainText(confirm.title) || "Are you sure?";
    $("confirm-text").replaceChildren(textObject(confirm.text));
    $("confirm-ok").textContent = plainText(confirm.confirm) || "Yes";
    $("confirm-ok").className = `button ${confirm.style === "danger" ? "danger" : "primary"}`;
    $("confirm-deny").textContent = plainText(confirm.deny) || "Cancel";
    view.pendingConfirm = proceed;
    $("confirm-overlay").hidden = false;
  }

  function sendAction(element, blockId, where) {
    const body = { element, block_id: blockId };
    if (where.kind === "view") {
      body.view_id = where.viewId;
      body.state_values = collectValues();
    } else if (where.kind === "home") {
      body.home = true;
    } else if (where.kind === "unfurl") {
      body.channel = where.channel;
      body.message_ts = where.ts;
      body.unfurl_url = where.url;
    } else if (where.kind === "ephemeral") {
      body.ephemeral_ts = where.ts;
    } else {
      body.channel = where.channel;
      body.message_ts = where.ts;
    }
    return act("/api/action", body);
  }

  // --------------------------------------------------------------------------------- messages

  function timeOf(ts) {
    const date = new Date(Number(String(ts).split(".")[0]) * 1000);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function messageNode(item, where, options) {
    const node = document.createElement("div");
    node.className = "message" + (where.kind === "ephemeral" ? " ephemeral" : "");
    node.dataset.ts = item.ts || item.message_ts;
    const metadata = item.metadata && item.metadata.event_payload;
    if (metadata && metadata.incident_id) node.dataset.incident = metadata.incident_id;
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    const person = item.user && view.state && item.user !== view.state.bot_user_id ? usersById()[item.user] : null;
    avatar.textContent = person ? (person.real_name || person.name).slice(0, 2).toLowerCase() : "cx";
    const body = document.createElement("div");
    body.className = "body";
    const meta = document.createElement("div");
    meta.className = "meta";
    const author = person
      ? `<span class="author">${escapeHtml(person.real_name || person.name)}</span>`
      : `<span class="author">incident-bot</span><span class="app-tag">APP</span>`;
    meta.innerHTML = author + `<span class="time">${escapeHtml(timeOf(node.dataset.ts))}</span>` +
      (item.edited ? ` <span class="edited">(edited)</span>` : "");
    body.appendChild(meta);
    if (item.blocks && item.blocks.length) body.appendChild(renderBlocks(item.blocks, where));
    else body.appendChild(textObject({ type: "mrkdwn", text: item.text || "" }));
    for (const [url, unfurl] of Object.entries(item.unfurls || {})) {
      // the app's preview of a link in the message (chat.unfurl), with its buttons
      const attachment = document.createElement("div");
      attachment.className = "unfurl";
      attachment.dataset.url = url;
      attachment.appendChild(renderBlocks(unfurl.blocks || [], { kind: "unfurl", channel: where.channel, ts: item.ts, url }));
      body.appendChild(attachment);
    }
    if (where.kind === "ephemeral") {
      const note = document.createElement("div");
      note.className = "ephemeral-note";
      note.innerHTML = "👁 Only visible to you · ";
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.textContent = "Dismiss";
      dismiss.addEventListener("click", () => { view.dismissed.add(item.message_ts); render(); });
      note.appendChild(dismiss);
      body.appendChild(note);
    }
    if (options && options.replies && options.replies.length) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "thread-link";
      const count = options.replies.length;
      link.textContent = `${count} ${count === 1 ? "reply" : "replies"}`;
      link.addEventListener("click", () => openThread(where.channel, item.ts));
      body.appendChild(link);
    }
    node.appendChild(avatar);
    node.appendChild(body);
    return node;
  }

  // Redraw only what changed, so a menu someone is using is not rebuilt under them.
  function reconcile(container, items) {
    const existing = new Map();
    for (const child of Array.from(container.children)) existing.set(child.dataset.key, child);
    const wanted = [];
    for (const item of items) {
      let node = existing.get(item.key);
      if (!node || node.dataset.signature !== item.signature) {
        const fresh = item.build();
        fresh.dataset.key = item.key;
        fresh.dataset.signature = item.signature;
        if (node) container.replaceChild(fresh, node);
        node = fresh;
      }
      wanted.push(node);
    }
    for (const [key, node] of existing) if (!items.some((item) => item.key === key)) node.remove();
    wanted.forEach((node, index) => {
      if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
    });
  }

  function channelItems(channel) {
    const items = [];
    const usersVersion = JSON.stringify(view.state.users);
    for (const message of channel.messages) {
      items.push({
        sortKey: message.ts,
        key: `m:${message.ts}`,
        signature: JSON.stringify([message, usersVersion]),
        build: () => messageNode(message, { kind: "message", channel: channel.id, ts: message.ts }, { replies: message.replies }),
      });
      for (const reply of (message.replies || []).filter((r) => r.reply_broadcast)) {
        items.push({
          sortKey: reply.ts,
          key: `b:${reply.ts}`,
          signature: JSON.stringify([reply, usersVersion]),
          build: () => messageNode(reply, { kind: "message", channel: channel.id, ts: reply.ts }),
        });
      }
    }
    for (const ephemeral of view.state.ephemerals) {
      if (ephemeral.channel !== channel.id || ephemeral.thread_ts || view.dismissed.has(ephemeral.message_ts)) continue;
      items.push({
        sortKey: ephemeral.message_ts,
        key: `e:${ephemeral.message_ts}`,
        signature: JSON.stringify([ephemeral, usersVersion]),
        build: () => messageNode(ephemeral, { kind: "ephemeral", channel: channel.id, ts: ephemeral.message_ts }),
      });
    }
    items.sort((a, b) => Number(a.sortKey) - Number(b.sortKey));
    return items;
  }

  function threadItems(channel, parentTs) {
    const parent = channel.messages.find((m) => m.ts === parentTs);
    if (!parent) return [];
    const usersVersion = JSON.stringify(view.state.users);
    const items = [{
      sortKey: parent.ts,
      key: `p:${parent.ts}`,
      signature: JSON.stringify([parent, usersVersion]),
      build: () => messageNode(parent, { kind: "message", channel: channel.id, ts: parent.ts }),
    }];
    for (const reply of parent.replies || []) {
      items.push({
        sortKey: reply.ts,
        key: `m:${reply.ts}`,
        signature: JSON.stringify([reply, usersVersion]),
        build: () => messageNode(reply, { kind: "message", channel: channel.id, ts: reply.ts }),
      });
    }
    for (const ephemeral of view.state.ephemerals) {
      if (ephemeral.channel !== channel.id || ephemeral.thread_ts !== parentTs || view.dismissed.has(ephemeral.message_ts)) continue;
      items.push({
        sortKey: ephemeral.message_ts,
        key: `e:${ephemeral.message_ts}`,
        signature: JSON.stringify([ephemeral, usersVersion]),
        build: () => messageNode(ephemeral, { kind: "ephemeral", channel: channel.id, ts: ephemeral.message_ts }),
      });
    }
    const [first, ...rest] = items;
    rest.sort((a, b) => Number(a.sortKey) - Number(b.sortKey));
    return [first, ...rest];
  }

  // -------------------------------------------------------------------------------------- render

  function render() {
    const state = view.state;
    if (!state) return;
    renderUserPicker(state);
    const channels = state.channels;
    if (view.channel !== HOME && !channels.some((c) => c.id === view.channel)) {
      view.channel = channels.length ? channels[0].id : null;
    }
    renderChannelList(channels);
    const home = view.channel === HOME;
    $("composer").hidden = home;
    if (home) {
      $("channel-title").textContent = "incident-bot · Home";
      $("channel-hint").textContent = state.home ? "the app's Home tab, as it published it for you" : "opening…";
      const blocks = state.home ? state.home.blocks : [];
      reconcile($("messages"), [{
        key: "home",
        signature: JSON.stringify([blocks, state.users]),
        build: () => {
          const node = document.createElement("div");
          node.className = "home-tab";
          node.appendChild(renderBlocks(blocks, { kind: "home" }));
          return node;
        },
      }]);
    }
    const channel = home ? null : channels.find((c) => c.id === view.channel);
    if (channel) {
      $("channel-title").textContent = channel.is_im ? "incident-bot" : `# ${channel.name}`;
      $("channel-hint").textContent = channel.is_im
        ? "direct messages with the bot"
        : channel.is_archived
          ? "archived: nothing more can be posted here"
          : "";
      $("composer-input").placeholder = `Message ${channel.is_im ? "incident-bot" : "#" + channel.name} — try ${state.slash_command} help, or paste an incident link`;
      const box = $("messages");
      const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
      const before = box.children.length;
      reconcile(box, channelItems(channel));
      if (atBottom || box.children.length > before && before === 0) box.scrollTop = box.scrollHeight;
      showOwnReply(box, channel.id);
      view.seen[channel.id] = channel.messages.length;
    }
    renderThread();
    renderModal(state);
    renderCoralogix(state.coralogix);
  }

  // The answer to the person's own command may land below what they see (they scrolled up): bring it in.
  function showOwnReply(box, channelId) {
    const waiting = view.awaitingReply;
    if (!waiting) return;
    if (waiting.channel !== channelId || Date.now() > waiting.until) { view.awaitingReply = null; return; }
    const reply = Array.from(box.querySelectorAll(".message.ephemeral")).find((node) => !waiting.known.has(node.dataset.ts));
    if (!reply) return;
    view.awaitingReply = null;
    reply.classList.add("arrived");
    reply.scrollIntoView({ block: "nearest" });
  }

  function ephemeralsIn(channelId) {
    return new Set(view.state.ephemerals.filter((e) => e.channel === channelId).map((e) => e.message_ts));
  }

  function clearComposerError() {
    $("composer-error").textContent = "";
  }

  function renderUserPicker(state) {
    const picker = $("user-picker");
    const people = state.users.filter((u) => !u.is_bot);
    const signature = JSON.stringify(people);
    if (picker.dataset.signature !== signature) {
      picker.replaceChildren(...people.map((user) => {
        const option = document.createElement("option");
        option.value = user.id;
        option.textContent = `${user.real_name} (${user.id})`;
        return option;
      }));
      picker.dataset.signature = signature;
    }
    picker.value = view.user;
  }

  function renderChannelList(channels) {
    const list = $("channel-list");
    const dms = $("dm-list");
    const build = (channel) => {
      const item = document.createElement("li");
      item.dataset.channel = channel.id;
      const name = document.createElement("span");
      name.textContent = channel.is_im ? "incident-bot" : `# ${channel.name}`;
      item.appendChild(name);
      if (channel.is_archived) {
        item.classList.add("archived");
        name.textContent += " (archived)";
      }
      const unread = channel.messages.length - (view.seen[channel.id] || 0);
      if (channel.id === view.channel) item.classList.add("active");
      else if (unread > 0) {
        item.classList.add("unread");
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = String(unread);
        item.appendChild(badge);
      }
      item.addEventListener("click", () => selectChannel(channel.id));
      return item;
    };
    const homeItem = document.createElement("li");
    homeItem.dataset.channel = HOME;
    homeItem.textContent = "incident-bot · Home";
    if (view.channel === HOME) homeItem.classList.add("active");
    homeItem.addEventListener("click", () => selectChannel(HOME));
    $("app-list").replaceChildren(homeItem);
    list.replaceChildren(...channels.filter((c) => !c.is_im).map(build));
    dms.replaceChildren(...channels.filter((c) => c.is_im).map(build));
  }

  function selectChannel(channelId) {
    view.channel = channelId;
    localStorage.setItem("demo.channel", channelId);
    $("messages").replaceChildren();
    clearComposerError();
    if (channelId === HOME) act("/api/home", {}); // Slack tells the app the tab was opened (app_home_opened)
    render();
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  function openThread(channelId, ts) {
    view.thread = { channel: channelId, ts };
    $("thread-messages").replaceChildren();
    render();
  }

  function renderThread() {
    const pane = $("thread-pane");
    if (!view.thread) { pane.hidden = true; return; }
    const channel = view.state.channels.find((c) => c.id === view.thread.channel);
    const items = channel ? threadItems(channel, view.thread.ts) : [];
    if (!items.length) { view.thread = null; pane.hidden = true; return; }
    pane.hidden = false;
    $("thread-channel").textContent = channel.is_im ? "incident-bot" : `# ${channel.name}`;
    reconcile($("thread-messages"), items);
  }

  // --------------------------------------------------------------------------------------- modals

  function topView(state) {
    return state.views.length ? state.views[state.views.length - 1] : null;
  }

  function renderModal(state) {
    const top = topView(state);
    const overlay = $("modal-overlay");
    if (!top) { overlay.hidden = true; view.modalKey = null; return; }
    const key = `${top.id}:${top.view.hash}`;
    if (view.modalKey !== key) {
      view.modalKey = key;
      const modal = top.view;
      $("modal-title").textContent = plainText(modal.title) || "App";
      $("modal-cancel").textContent = plainText(modal.close) || (modal.submit ? "Cancel" : "Close");
      $("modal-submit").textContent = plainText(modal.submit) || "Submit";
      $("modal-submit").hidden = !modal.submit;
      $("modal-body").replaceChildren(renderBlocks(modal.blocks, { kind: "view", viewId: top.id }, {}));
      $("modal").dataset.viewId = top.id;
      $("modal").dataset.callbackId = modal.callback_id || "";
    }
    showInputErrors(top.errors || {});
    overlay.hidden = false;
  }

  function renderInput(block, index, errors) {
    const node = document.createElement("div");
    node.className = "block input-block";
    const blockId = block.block_id || `input-${index}`;
    node.dataset.blockId = blockId;
    const element = block.element || {};
    const fieldId = `input-${blockId}-${element.action_id || "value"}`;
    const label = document.createElement("label");
    label.htmlFor = fieldId;
    label.textContent = plainText(block.label) + (block.optional ? " (optional)" : "");
    node.appendChild(label);
    let field;
    if (element.type === "plain_text_input") {
      field = document.createElement(element.multiline ? "textarea" : "input");
      if (element.placeholder) field.placeholder = plainText(element.placeholder);
      if (element.initial_value) field.value = element.initial_value;
      if (element.max_length) field.maxLength = element.max_length;
    } else if (element.type === "static_select" || element.type === "users_select") {
      field = document.createElement("select");
      fillSelect(field, element);
    } else {
      field = document.createElement("input");
      field.disabled = true;
      field.placeholder = `[${element.type} input]`;
    }
    field.id = fieldId;
    field.dataset.blockId = blockId;
    field.dataset.actionId = element.action_id || "value";
    field.dataset.type = element.type || "plain_text_input";
    node.appendChild(field);
    if (block.hint) {
      const hint = document.createElement("div");
      hint.className = "hint";
      hint.textContent = plainText(block.hint);
      node.appendChild(hint);
    }
    const error = document.createElement("div");
    error.className = "error";
    error.hidden = true;
    node.appendChild(error);
    return node;
  }

  // view.state.values as Slack builds it: block_id -> action_id -> the element's value
  function collectValues() {
    const values = {};
    for (const field of $("modal-body").querySelectorAll("[data-block-id] > input, [data-block-id] > textarea, [data-block-id] > select")) {
      if (field.disabled || !field.dataset.type) continue;
      const entry = { type: field.dataset.type };
      if (field.dataset.type === "plain_text_input") entry.value = field.value === "" ? null : field.value;
      else if (field.dataset.type === "users_select") entry.selected_user = field.value || null;
      else {
        const top = topView(view.state);
        const block = top && top.view.blocks.find((b) => (b.block_id || "") === field.dataset.blockId);
        entry.selected_option = block ? optionByValue(block.element, field.value) : null;
      }
      values[field.dataset.blockId] = { ...(values[field.dataset.blockId] || {}), [field.dataset.actionId]: entry };
    }
    return values;
  }

  function showInputErrors(errors) {
    for (const block of $("modal-body").querySelectorAll(".input-block")) {
      const box = block.querySelector(".error");
      const message = errors[block.dataset.blockId];
      box.textContent = message || "";
      box.hidden = !message;
    }
  }

  // ------------------------------------------------------------------------------------ Coralogix

  function renderCoralogix(side) {
    const summary = $("cx-summary");
    const signature = JSON.stringify(side.summary);
    if (summary.dataset.signature !== signature) {
      summary.replaceChildren(...Object.entries(side.summary).map(([name, count]) => {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = `${count} ${name}`;
        return chip;
      }));
      summary.dataset.signature = signature;
    }
    fillOnce($("cx-severity"), side.severities);
    fillOnce($("cx-application"), side.applications);
    const activity = $("cx-activity");
    const lines = side.activity.map((entry) => `${new Date(entry.at).toLocaleTimeString()} ${entry.text}`);
    if (activity.dataset.signature !== JSON.stringify(lines)) {
      activity.replaceChildren(...lines.map((line) => {
        const item = document.createElement("li");
        item.textContent = line;
        return item;
      }));
      activity.dataset.signature = JSON.stringify(lines);
    }
  }

  function fillOnce(select, names) {
    if (select.options.length > 1) return;
    for (const name of names) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    }
  }

  // --------------------------------------------------------------------------------------- wiring

  function wire() {
    // The composer's complaint is about the last thing typed there: anything else the person does clears it.
    for (const kind of ["click", "change"]) {
      document.addEventListener(kind, (event) => {
        if (!$("composer").contains(event.target)) clearComposerError();
      }, true);
    }
    $("composer-input").addEventListener("input", clearComposerError);
    $("user-picker").addEventListener("change", (event) => {
      view.user = event.target.value;
      localStorage.setItem("demo.user", view.user);
      view.version = null;
      view.modalKey = null;
      view.dismissed.clear();
      refresh();
    });
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("composer-input");
      const text = input.value.trim();
      if (!text || !view.channel) return;
      if (!text.startsWith("/")) {
        // a message: it lands in the channel, and Slack tells the app about links on its domain (link_shared)
        const said = await act("/api/message", { channel: view.channel, text }, { quiet: true });
        if (said && said.ok) input.value = "";
        else if (said) $("composer-error").textContent = said.error || "";
        return;
      }
      clearComposerError();
      input.disabled = true;
      view.awaitingReply = { channel: view.channel, known: ephemeralsIn(view.channel), until: Date.now() + REPLY_WAIT_MS };
      const outcome = await act("/api/command", { channel: view.channel, text }, { quiet: true });
      input.disabled = false;
      input.focus();
      if (outcome && outcome.ok) input.value = "";
      else if (outcome) $("composer-error").textContent = outcome.error || "";
    });
    $("thread-close").addEventListener("click", () => { view.thread = null; render(); });
    const closeModal = () => {
      const top = view.state && topView(view.state);
      if (top) act("/api/views/close", { view_id: top.id });
    };
    $("modal-x").addEventListener("click", closeModal);
    $("modal-cancel").addEventListener("click", closeModal);
    $("modal-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const top = view.state && topView(view.state);
      if (top && top.view.submit) act("/api/views/submit", { view_id: top.id, values: collectValues() });
    });
    $("confirm-deny").addEventListener("click", () => { $("confirm-overlay").hidden = true; view.pendingConfirm = null; });
    $("confirm-ok").addEventListener("click", () => {
      $("confirm-overlay").hidden = true;
      const proceed = view.pendingConfirm;
      view.pendingConfirm = null;
      if (proceed) proceed();
    });
    $("cx-create").addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("cx-create-button");
      button.disabled = true;
      const body = { severity: $("cx-severity").value || null, application: $("cx-application").value || null };
      try {
        const created = await api("/api/incidents", body);
        const domain = (view.state && view.state.unfurl_domains || [])[0];
        const link = domain ? ` Paste https://${domain}/#/incidents/${created.incident_id} in a channel to see it unfurl.` : "";
        $("cx-last-created").textContent = `Created incident ${created.incident_id}; the bot picks it up at its next poll.${link}`;
        $("cx-last-created").dataset.incidentId = created.incident_id;
      } catch (error) {
        toast(error.message);
      } finally {
        button.disabled = false;
        refresh();
      }
    });
  }

  $("cx-webhook").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("cx-webhook-button");
    button.disabled = true;
    try {
      const sent = await api("/api/webhook", {});
      $("cx-last-created").textContent = sent.said;
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
      refresh();
    }
  });

  $("cx-report").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("cx-report-button");
    button.disabled = true;
    try {
      const posted = await api("/api/reports", { route: "payments" });
      $("cx-last-created").textContent = posted.said;
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
      refresh();
    }
  });

  wire();
  loop();
  // for the page's own tests: the mrkdwn renderer, as the page uses it
  window.incidentBotDemo = Object.freeze({ mrkdwn, slackDate });
})();
