// Tabs of the demo page (WAI-ARIA tabs pattern): click or Enter/Space selects; Left/Right/Home/End move
// between tabs; the URL hash (#generate, #schedulers, #edit, #train) opens a tab directly.
const tabs = [...document.querySelectorAll('[role=tab]')];

function select(tab, focus = false) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  history.replaceState(null, '', `#${tab.id.replace(/^tab-/, '')}`);
}

for (const tab of tabs) {
  tab.addEventListener('click', () => select(tab));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(tabs[(next + tabs.length) % tabs.length], true);
  });
}

const fromHash = document.getElementById(`tab-${location.hash.slice(1)}`);
if (fromHash && tabs.includes(fromHash)) select(fromHash);
