// A stand-in for Stash's `PluginApi` global with only what stash2plex-ui.js uses, written from Stash's documented
// surface (ui/v2.5/src/docs/en/Manual/UIPluginApi.md) and its source at v0.30.1: patch.before/instead/after as
// ui/v2.5/src/patch.tsx applies them, register.route as pluginApi.tsx does it (a <Route> added to "PluginRoutes"),
// utils.StashService.getClient() as the Apollo client it returns (mutate with a gql document, rejecting with
// graphQLErrors or a networkError), libraries.ReactRouterDOM's Link and Route, libraries.Apollo.gql.
// It then renders the three places the plugin patches: a scene page's tabs, the plugin's settings entry, and the
// plugin routes, chosen by the address as Stash's router does.
(function () {
  "use strict";
  var React = window.React;
  var h = React.createElement;
  var fns = { before: {}, instead: {}, after: {} };
  var settled = 0; // GraphQL requests answered or failed: lets a test wait for the page to be done, not for time

  function register(kind) {
    return function (name, fn) { (fns[kind][name] = fns[kind][name] || []).push(fn); };
  }

  // patch.tsx runInstead: each instead function gets the arguments plus the next one.
  function runInstead(list, target, ctx, args) {
    var i = 1;
    function next() {
      if (i >= list.length) return target;
      var fn = list[i++];
      return function () { return fn.apply(ctx, Array.prototype.slice.call(arguments).concat(next())); };
    }
    return list[0].apply(ctx, args.concat(next()));
  }

  // patch.tsx PatchFunction: before functions return the new arguments, after functions get args + result.
  function patchFunction(name, fn) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      (fns.before[name] || []).forEach(function (b) { args = b.apply(this, args); }, this);
      var result = fns.instead[name] ? runInstead(fns.instead[name], fn, this, args) : fn.apply(this, args);
      (fns.after[name] || []).forEach(function (a) { result = a.apply(this, args.concat([result])); }, this);
      return result;
    };
  }

  function container(name) {
    return patchFunction(name, function (props) { return h(React.Fragment, null, props.children); });
  }

  var listeners = [];
  function navigate(to) {
    window.history.pushState({}, "", to);
    listeners.forEach(function (l) { l(); });
  }
  window.addEventListener("popstate", function () { listeners.forEach(function (l) { l(); }); });

  function Link(props) {
    return h("a", { href: props.to, className: props.className, onClick: function (e) {
      e.preventDefault(); navigate(props.to);
    } }, props.children);
  }

  function Route(props) {
    return window.location.pathname === props.path ? h(props.component) : null;
  }

  function ApolloError(message, extra) {
    var error = new Error(message);
    Object.keys(extra).forEach(function (k) { error[k] = extra[k]; });
    return error;
  }

  var client = {
    mutate: function (options) {
      var body = { query: options.mutation.loc.source.body, variables: options.variables || {} };
      return fetch("/graphql", { method: "POST", headers: { "Content-Type": "application/json" },
        credentials: "same-origin", body: JSON.stringify(body) })
        .then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) {
              throw ApolloError("Response not successful: Received status code " + response.status,
                { graphQLErrors: [], networkError: { statusCode: response.status, result: json } });
            }
            if (json.errors && json.errors.length) {
              throw ApolloError(json.errors[0].message, { graphQLErrors: json.errors, networkError: null });
            }
            return { data: json.data };
          });
        })
        .then(function (result) { settled += 1; return result; }, function (error) { settled += 1; throw error; });
    }
  };

  var PluginRoutes = container("PluginRoutes");
  var ScenePageTabs = container("ScenePage.Tabs");
  var PluginSettings = patchFunction("PluginSettings", function () {
    return h("div", { className: "plugin-settings" }, "(the plugin's settings)");
  });

  window.PluginApi = {
    React: React,
    ReactDOM: window.ReactDOM,
    libraries: {
      ReactRouterDOM: { Link: Link, Route: Route },
      Apollo: { gql: function (text) { return { kind: "Document", loc: { source: { body: String(text) } } }; } }
    },
    utils: { StashService: { getClient: function () { return client; } } },
    patch: { before: register("before"), instead: register("instead"), after: register("after") },
    register: {
      route: function (path, component) {
        register("before")("PluginRoutes", function (props) {
          return [{ children: h(React.Fragment, null, props.children, h(Route, { path: path, component: component })) }];
        });
      }
    }
  };

  function App() {
    var tick = React.useState(0);
    React.useEffect(function () {
      var listener = function () { tick[1](function (n) { return n + 1; }); };
      listeners.push(listener);
      return function () { listeners.splice(listeners.indexOf(listener), 1); };
    }, []);
    var path = window.location.pathname;
    var scene = /^\/scenes\/(\d+)$/.exec(path);
    if (scene) {
      return h("div", { className: "scene-page" }, h("div", { className: "nav nav-tabs" },
        h(ScenePageTabs, { scene: { id: scene[1] } },
          h("div", { className: "nav-item" }, h("a", { className: "nav-link active" }, "Details")))));
    }
    if (path === "/settings") {
      return h("div", { className: "settings" }, h("h4", null, "Stash2Plex"),
        h(PluginSettings, { pluginID: "Stash2Plex", settings: [] }),
        h(PluginSettings, { pluginID: "Other", settings: [] }));
    }
    return h("div", { className: "main" }, h(PluginRoutes, null));
  }

  window.__standin = {
    settled: function () { return settled; },
    start: function () { window.ReactDOM.createRoot(document.getElementById("root")).render(h(App)); }
  };
})();
