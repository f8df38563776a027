// Stash2Plex inside Stash's UI: a badge on the scene page (state, why, Open in Plex, Sync now) and a status page.
//
// Loaded by Stash from Stash2Plex.yml's `ui:` block with the documented `PluginApi` global (UIPluginApi.md):
// React from PluginApi.React, components patched by name (PluginApi.patch), the page registered with
// PluginApi.register.route, every call through Stash's own GraphQL client (PluginApi.utils.StashService) as
// `runPluginOperation` (Stash v0.25+), which runs the plugin's `tasks/operations.py` on its database only.
// On a Stash without runPluginOperation every call fails and the UI renders nothing and logs nothing.
(function () {
  "use strict";

  var api = window.PluginApi;
  var React = api.React;
  var h = React.createElement;
  var PLUGIN_ID = "Stash2Plex";
  var ROUTE = "/plugin/stash2plex";
  var OPERATION = "mutation Stash2PlexOperation($args: Map) { runPluginOperation(plugin_id: \"" + PLUGIN_ID +
    "\", args: $args) }";
  var POLL_MS = 1000;
  var POLLS = 180; // Sync now follows the scene for three minutes at most
  var PER_PAGE = 25;
  var WORDS = {
    in_plex: "in Plex", queued: "queued", syncing: "syncing", not_in_plex: "not in Plex", ambiguous: "ambiguous",
    out_of_scope: "out of scope", failed: "failed", never_synced: "not synced yet"
  };
  var MOVING = { queued: true, syncing: true };

  // One operation: resolves with its output; rejects when Stash cannot run it (the caller then shows nothing).
  function operation(args) {
    var client = api.utils.StashService.getClient();
    return client.mutate({ mutation: api.libraries.Apollo.gql(OPERATION), variables: { args: args } })
      .then(function (result) { return result.data.runPluginOperation; });
  }

  function ago(seconds) {
    if (seconds === null || seconds === undefined) return "never synced";
    var minutes = Math.max(0, Math.round(seconds / 60));
    if (minutes < 60) return "last synced " + minutes + (minutes === 1 ? " minute ago" : " minutes ago");
    var hours = Math.round(minutes / 60);
    if (hours < 48) return "last synced " + hours + " hours ago";
    return "last synced " + Math.round(hours / 24) + " days ago";
  }

  function since(epoch, now) {
    return epoch ? ago(now - epoch).replace("last synced ", "") : "never";
  }

  function until(epoch, now) {
    return "in " + ago(epoch - now).replace("last synced ", "").replace(" ago", "");
  }

  function errorText(error) {
    var found = error && error.graphQLErrors && error.graphQLErrors[0];
    return (found && found.message) || (error && error.message) || String(error);
  }

  function Links(props) {
    var links = props.links || [];
    return h("span", { className: "stash2plex-links" }, links.map(function (link, i) {
      var label = links.length > 1 ? "Open in Plex (" + (i + 1) + ")" : "Open in Plex";
      return h("span", { key: link.rating_key, className: "stash2plex-link" },
        h("a", { href: link.plex_web, target: "_blank", rel: "noopener noreferrer", "data-rating-key": link.rating_key,
          className: "stash2plex-open" }, label),
        link.server_web ? h("a", { href: link.server_web, target: "_blank", rel: "noopener noreferrer",
          className: "stash2plex-server", title: "The same item on your Plex server's own web app" }, "server") : null);
    }));
  }

  function Badge(props) {
    var view = props.view;
    var title = view.reason + "; " + ago(view.synced_at ? props.now - view.synced_at : null);
    return h("span", { className: "stash2plex-badge stash2plex-" + view.state, title: title,
      "data-state": view.state }, WORDS[view.state] || view.state);
  }

  // The scene page's part: the badge, its links and Sync now. Renders nothing until (or unless) the plugin answers.
  function SceneStatus(props) {
    var id = String(props.sceneId);
    var state = React.useState(null);
    var answer = state[0];
    var setAnswer = state[1];
    var problem = React.useState(null);
    var polls = React.useRef(0);
    var timer = React.useRef(null);

    var show = React.useCallback(function (output) {
      if (output && output.scenes && output.scenes[id]) {
        setAnswer({ view: output.scenes[id], now: output.now });
        return output.scenes[id];
      }
      return null;
    }, [id]);

    var follow = React.useCallback(function () {
      operation({ operation: "status", scene_ids: [id] }).then(function (output) {
        var view = show(output);
        polls.current += 1;
        if (view && MOVING[view.state] && polls.current < POLLS) timer.current = setTimeout(follow, POLL_MS);
      }, function () { /* Stash without runPluginOperation, or the plugin unavailable: show nothing */ });
    }, [id, show]);

    React.useEffect(function () {
      polls.current = 0; // a scene queued or syncing when the page opens is followed too
      follow();
      return function () { clearTimeout(timer.current); };
    }, [follow]);

    function syncNow() {
      problem[1](null);
      clearTimeout(timer.current);
      operation({ operation: "sync_now", scene_id: id }).then(function (output) {
        show(output);
        polls.current = 0;
        timer.current = setTimeout(follow, POLL_MS);
      }, function (error) { problem[1](errorText(error)); });
    }

    if (!answer) return null;
    return h("div", { className: "stash2plex-scene" },
      h(Badge, { view: answer.view, now: answer.now }),
      h(Links, { links: answer.view.links }),
      h("button", { type: "button", className: "btn btn-secondary btn-sm stash2plex-sync",
        disabled: !!MOVING[answer.view.state], onClick: syncNow }, "Sync now"),
      problem[0] ? h("span", { className: "stash2plex-problem" }, problem[0]) : null);
  }

  function Pager(props) {
    var pages = Math.max(1, Math.ceil(props.total / PER_PAGE));
    if (pages === 1) return null;
    return h("div", { className: "stash2plex-pager" },
      h("button", { type: "button", className: "btn btn-secondary btn-sm", disabled: props.page <= 1,
        onClick: function () { props.onPage(props.page - 1); } }, "Previous"),
      h("span", null, " page " + props.page + " of " + pages + " "),
      h("button", { type: "button", className: "btn btn-secondary btn-sm", disabled: props.page >= pages,
        onClick: function () { props.onPage(props.page + 1); } }, "Next"));
  }

  function SceneList(props) {
    var Link = api.libraries.ReactRouterDOM.Link;
    var state = React.useState({ page: 1, answer: null });
    var page = state[0].page;
    var answer = state[0].answer;
    var set = state[1];
    React.useEffect(function () {
      operation({ operation: "list", list: props.list, page: page, per_page: PER_PAGE }).then(function (output) {
        set({ page: page, answer: output });
      }, function () { /* shown as not loaded */ });
    }, [props.list, page, props.version]);
    if (!answer) return null;
    return h("section", { className: "stash2plex-list", "data-list": props.list },
      h("h3", null, props.title + " (" + answer.total + ")"),
      h("ul", null, answer.scenes.map(function (scene) {
        return h("li", { key: scene.scene_id },
          h(Link, { to: "/scenes/" + scene.scene_id }, "Scene " + scene.scene_id), ": " + scene.reason);
      })),
      h(Pager, { total: answer.total, page: page, onPage: function (p) { set({ page: p, answer: answer }); } }));
  }

  function Passes(props) {
    var rows = [["Sync All / Recent", props.passes.sync], ["Reconcile", props.passes.reconcile],
      ["Watch state", props.passes.watch]];
    return h("dl", { className: "stash2plex-passes" }, rows.reduce(function (items, row) {
      return items.concat([h("dt", { key: row[0] + "t" }, row[0]),
        h("dd", { key: row[0] + "d" }, row[1] ? row[1].summary + " (" + since(row[1].at, props.now) + ")" : "never")]);
    }, []));
  }

  function DeadLetters(props) {
    var Link = api.libraries.ReactRouterDOM.Link;
    var letters = props.letters;
    function retry(ids) {
      operation({ operation: "retry_dead_letters", letter_ids: ids }).then(props.onChange, props.onChange);
    }
    return h("section", { className: "stash2plex-dead" },
      h("h3", null, "Dead letters (" + letters.total + ")"),
      letters.total ? h("button", { type: "button", className: "btn btn-secondary btn-sm stash2plex-retry-all",
        onClick: function () { retry(undefined); } }, "Retry all") : null,
      h("ul", null, letters.newest.map(function (letter) {
        return h("li", { key: letter.id, "data-letter": letter.id },
          h(Link, { to: "/scenes/" + letter.scene_id }, "Scene " + letter.scene_id),
          ": [" + letter.error_class + "] " + (letter.message || "") + " ",
          h("button", { type: "button", className: "btn btn-secondary btn-sm stash2plex-retry",
            onClick: function () { retry([letter.id]); } }, "retry"));
      })));
  }

  function StatusPage() {
    var state = React.useState({ version: 0, overview: null });
    var version = state[0].version;
    var overview = state[0].overview;
    var set = state[1];
    var reload = React.useCallback(function () {
      operation({ operation: "overview" }).then(function (output) {
        set(function (old) { return { version: old.version + 1, overview: output }; });
      }, function () { /* Stash without runPluginOperation: an empty page */ });
    }, []);
    React.useEffect(reload, [reload]);
    if (!overview) return h("div", { className: "stash2plex-page" });
    var o = overview;
    var counts = Object.keys(o.scenes).sort().map(function (name) {
      return h("li", { key: name, "data-count": name }, name.replace(/_/g, " ") + ": " + o.scenes[name]);
    });
    return h("div", { className: "stash2plex-page container" },
      h("h2", null, "Stash2Plex"),
      h("button", { type: "button", className: "btn btn-secondary btn-sm stash2plex-refresh", onClick: reload },
        "Refresh"),
      h("section", { className: "stash2plex-queue" },
        h("h3", null, "Queue"),
        h("p", { "data-figure": "queue" }, "queued " + o.queued + ", in progress " + o.in_progress +
          ", next retry " + (o.next_retry_at ? until(o.next_retry_at, o.now) : "none")),
        h("p", { "data-figure": "drainer" }, "drainer " + (o.drainer.running ? "running (pid " + o.drainer.pid + ")"
          : "idle") + "; last auto-reconcile " + since(o.last_auto_reconcile, o.now)),
        o.last_error ? h("p", { className: "stash2plex-error", "data-figure": "last-error" },
          "The background sync stopped " + since(o.last_error.at, o.now) + ": " + o.last_error.message) : null,
        h("ul", { className: "stash2plex-counts" }, counts)),
      h("section", null, h("h3", null, "Last passes"), h(Passes, { passes: o.passes, now: o.now })),
      h(SceneList, { list: "not_in_plex", title: "Not in Plex", version: version }),
      h(SceneList, { list: "ambiguous", title: "Ambiguous", version: version }),
      h(DeadLetters, { letters: o.dead_letters, onChange: reload }));
  }

  // The badge beside the scene page's tabs ("ScenePage.Tabs", Stash v0.28+), visible whichever tab is open.
  api.patch.before("ScenePage.Tabs", function (props) {
    var rest = Array.prototype.slice.call(arguments, 1);
    var children = h(React.Fragment, null, props.children,
      h("div", { className: "stash2plex-nav ml-auto" }, h(SceneStatus, { sceneId: props.scene.id })));
    return [Object.assign({}, props, { children: children })].concat(rest);
  });

  api.register.route(ROUTE, StatusPage);

  // The plugin's entry in Settings > Plugins links to the status page ("PluginSettings", Stash v0.27+).
  api.patch.after("PluginSettings", function () {
    var props = arguments[0];
    var rendered = arguments[arguments.length - 1];
    if (!props || props.pluginID !== PLUGIN_ID) return rendered;
    var Link = api.libraries.ReactRouterDOM.Link;
    return h(React.Fragment, null,
      h("div", { className: "stash2plex-entry" }, h(Link, { to: ROUTE }, "Stash2Plex status: queue, scenes not in " +
        "Plex, dead letters")),
      rendered);
  });
})();
