// Bootstrap Italia's stylesheet reduced to the rules the portal's pages can use (`python -m
// portal assets` runs this, into static/vendor/css/bootstrap-italia.portal.min.css): the selectors whose classes, ids and elements appear in the
// templates, the portal's Python (forms, tones) and scripts, and the library's components
// that static/js/bootstrap-italia.js imports. The full stylesheet (612 KB) blocked the first
// paint of phones; tests/e2e/test_browser_axe.py compares every page's computed styles under
// both stylesheets.
module.exports = {
  // From node_modules, not static/vendor: the build writes a new vendor folder beside the
  // one being served and swaps them.
  css: ["node_modules/bootstrap-italia/dist/css/bootstrap-italia.min.css"],
  content: [
    "src/portal/templates/**/*.html",
    "src/portal/**/*.py",
    "src/portal/static/js/*.js",
    "node_modules/bootstrap-italia/dist/plugins/*.js",
    "node_modules/bootstrap-italia/dist/plugins/{dom,util}/*.js",
  ],
  safelist: {
    // Built in templates from a value ("alert-{{ level }}", "bg-{{ tone }}"): every variant.
    // Then the rules of every element, whose selector is a pseudo-class or pseudo-element
    // alone, which PurgeCSS drops (FullHuman/purgecss#1282): the keyboard focus ring
    // (":focus:not([data-focus-mouse=true])"), placeholders, form controls' inner parts.
    standard: [/^alert-/, /^bg-/, /focus/, /placeholder/, /-webkit-/, /-moz-/, /file-selector-button/],
  },
  // Custom properties, keyframes and font faces (VideoJS's) that no kept rule uses go too.
  variables: true,
  keyframes: true,
  fontFace: true,
};
