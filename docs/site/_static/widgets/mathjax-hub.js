// The widget manager (embed.js) typesets labels with MathJax 2's MathJax.Hub.Queue; the site
// serves MathJax 3. This gives MathJax 3 that one entry point. By DOMContentLoaded the deferred
// MathJax script has run; the widgets are drawn later, on the load event.
document.addEventListener("DOMContentLoaded", () => {
  const mj = window.MathJax;
  if (!mj || mj.Hub || !mj.typesetPromise) return;
  mj.Hub = {
    Queue: (...calls) => {
      for (const call of calls) {
        if (Array.isArray(call) && call[0] === "Typeset" && call[2]) {
          mj.startup.promise.then(() => mj.typesetPromise([call[2]]));
        }
      }
    },
  };
});
