// Loaded before the Bootstrap Italia bundle. The video.js it embeds would otherwise inject
// <style> elements at load time, which the portal's CSP (style-src 'self') blocks.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
