// Only the Bootstrap Italia components the portal uses, as the library's own ES modules: the
// header's menu on phones (navbar-collapsible) and the keyboard-focus outline (init). The
// 1 MB bundle of every component blocked the main thread of phones for no use.
import "../vendor/js/bootstrap-italia/init.js";
import "../vendor/js/bootstrap-italia/navbar-collapsible.js";
