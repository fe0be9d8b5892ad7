"""Drop-down choices, option rows and number boxes drawn as the browser's own <select>, radio
buttons and number inputs, all of one group in one element.

Why not st.selectbox and st.radio: each is a separate element whose script builds a searchable
menu of its own, 4-6 ms of the browser's main thread at every visit of a page; the sidebar's five
filters and a page's own half dozen choices cost more than the rest of a page. The browser's own
controls cost it one layout, look like the system's, and work with the keyboard and with screen
readers as the office's other intranet forms do.

The values live in st.session_state under each field's key, as a widget's would, so that the URL,
a drill-down link or a button can set them; they stay when the user goes to another page. A change
made in the browser comes back as the group's state ({"n": a fresh token, "values": {key: value,
...}}, every change since the group was last drawn) and is taken once, before the page reads its
choices (`take_changes`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import streamlit as st

CSS = """
.xf-choices { display: grid; gap: 0.9rem 1rem; font-family: "Source Sans Pro", "Noto Sans CJK SC",
  "Microsoft YaHei", sans-serif; color: rgb(49, 51, 63); }
.xf-choices .field { display: flex; flex-direction: column; gap: 0.25rem; min-width: 0; }
.xf-choices label, .xf-choices legend { font-size: 0.875rem; line-height: 1.4; padding: 0; }
.xf-choices .help { display: inline-block; margin-left: 0.35rem; width: 1rem; height: 1rem;
  border: 1px solid rgba(49, 51, 63, 0.45); border-radius: 50%; font-size: 0.7rem; line-height: 1rem;
  text-align: center; color: rgba(49, 51, 63, 0.7); cursor: help; vertical-align: 0.05rem; }
.xf-choices select { appearance: none; -webkit-appearance: none; width: 100%; height: 2.5rem;
  padding: 0 2rem 0 0.75rem; border: 1px solid transparent; border-radius: 0.5rem;
  background: #f0f2f6 url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='12' height='8'%3E%3Cpath d='M1 1l5 5 5-5' fill='none' stroke='%2331333f' stroke-width='1.6'/%3E%3C/svg%3E") no-repeat right 0.8rem center;
  font: inherit; font-size: 1rem; color: inherit; text-overflow: ellipsis; cursor: pointer; }
.xf-choices input[type=number] { width: 100%; height: 2.5rem; padding: 0 0.75rem;
  border: 1px solid transparent; border-radius: 0.5rem; background: #f0f2f6; font: inherit;
  font-size: 1rem; color: inherit; font-variant-numeric: tabular-nums; box-sizing: border-box; }
.xf-choices input[type=number]:focus-visible { outline: none; border-color: #2f6db5;
  box-shadow: 0 0 0 1px #2f6db5; }
.xf-choices input[type=number]:disabled { color: rgba(49, 51, 63, 0.4); cursor: not-allowed; }
.xf-choices.light select, .xf-choices.light input[type=number] { background-color: #ffffff; }
.xf-choices select:hover { border-color: rgba(49, 51, 63, 0.25); }
.xf-choices select:focus-visible { outline: none; border-color: #2f6db5;
  box-shadow: 0 0 0 1px #2f6db5; }
.xf-choices select:disabled { cursor: not-allowed; color: rgba(49, 51, 63, 0.4); }
.xf-choices fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
.xf-choices .options { display: flex; flex-wrap: wrap; gap: 0.3rem 1.1rem; padding-top: 0.2rem; }
.xf-choices .options label { display: inline-flex; align-items: center; gap: 0.35rem;
  font-size: 1rem; cursor: pointer; }
.xf-choices input[type=radio] { width: 1rem; height: 1rem; margin: 0; accent-color: #2f6db5;
  cursor: pointer; }
"""
JS = """
export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let root = parentElement.querySelector('.xf-choices');
  if (!root) {
    root = document.createElement('div');
    root.className = 'xf-choices';
    parentElement.appendChild(root);
  }
  root.style.gridTemplateColumns = `repeat(${data.columns}, minmax(0, 1fr))`;
  root.classList.toggle('light', data.tone === 'light');
  // Every change since the server last drew this group goes with each report: two changes made
  // faster than a run of the page are both taken, whichever run the server finishes.
  root.pending = {};
  const send = (key, value) => {
    root.pending[key] = value;
    setStateValue('chosen', {n: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
                             values: {...root.pending}});
  };
  const shape = JSON.stringify(data.fields.map(f => [f.key, f.radio, f.number, f.label, f.help]));
  if (root.dataset.shape !== shape) {  // first drawn, or other fields: built anew
    root.replaceChildren();
    root.dataset.shape = shape;
    data.fields.forEach((f, i) => {
      const id = `xf-${data.group}-${i}`;
      const box = document.createElement(f.radio ? 'fieldset' : 'div');
      box.className = 'field';
      const caption = document.createElement(f.radio ? 'legend' : 'label');
      caption.textContent = f.label;
      if (!f.radio) caption.htmlFor = id;
      if (f.help) {
        const mark = document.createElement('span');
        mark.className = 'help';
        mark.textContent = '?';
        mark.title = f.help;
        mark.setAttribute('aria-hidden', 'true');
        caption.appendChild(mark);
      }
      box.appendChild(caption);
      if (f.radio) {
        const options = document.createElement('div');
        options.className = 'options';
        options.setAttribute('role', 'radiogroup');
        box.appendChild(options);
      } else if (f.number) {  // sent when the number is committed: Enter, leaving the box, the arrows
        const input = document.createElement('input');
        input.type = 'number';
        input.id = id;
        [input.min, input.max, input.step] = f.number.map(String);
        if (f.help) input.title = f.help;
        input.addEventListener('change', () => { if (input.value !== '') send(f.key, input.value); });
        box.appendChild(input);
      } else {
        const select = document.createElement('select');
        select.id = id;
        if (f.help) select.title = f.help;
        select.addEventListener('change', () => send(f.key, select.value));
        box.appendChild(select);
      }
      box.dataset.key = f.key;
      root.appendChild(box);
    });
  }
  data.fields.forEach((f, i) => {
    const box = root.children[i];
    const options = JSON.stringify(f.options);
    if (f.radio) {
      const list = box.querySelector('.options');
      if (list.dataset.options !== options) {
        list.replaceChildren();
        list.dataset.options = options;
        f.options.forEach(([value, text]) => {
          const label = document.createElement('label');
          const input = document.createElement('input');
          input.type = 'radio';
          input.name = `xf-${data.group}-${i}`;
          input.value = value;
          input.addEventListener('change', () => { if (input.checked) send(f.key, value); });
          label.append(input, document.createTextNode(text));
          list.appendChild(label);
        });
      }
      list.querySelectorAll('input').forEach(input => {
        input.checked = input.value === f.value;
        input.disabled = !!f.disabled;
      });
    } else if (f.number) {
      const input = box.querySelector('input');
      if (document.activeElement !== input && input.value !== f.value) input.value = f.value;
      input.disabled = !!f.disabled;
    } else {
      const select = box.querySelector('select');
      if (select.dataset.options !== options) {
        select.replaceChildren(...f.options.map(([value, text]) => new Option(text, value)));
        select.dataset.options = options;
      }
      select.value = f.value;
      select.disabled = !!f.disabled;
    }
  });
}
"""
_group = st.components.v2.component("xinfang_choices", css=CSS, js=JS)


@dataclass
class Choice:
    """One drop-down (or a row of radio buttons): its value in st.session_state[key], one of
    `options`, shown as `text(value)`. A value not among the options is replaced by `default`
    (the first option when that is not one either). With `number` (low, high, step) and no
    options: a number box, its value a number in [low, high] written as text ("12", "92.5"),
    clamped to that range and rounded to a whole number when the step is whole; `default` when it
    is not a number."""
    key: str
    label: str
    options: Sequence[str]
    text: Callable[[str], str] = field(default=str)
    help: str = ""
    disabled: bool = False
    radio: bool = False
    default: str | None = None
    number: tuple[float, float, float] | None = None


def take_changes(group: str, keys) -> list[str]:
    """Takes the change the user made in group `group` since its last run, once: sets the changed
    fields' values in st.session_state; the keys changed. Only the group's own `keys` are set
    (what comes back from a browser is not trusted to name others); a value not among a field's
    options is replaced when the field is drawn (value_of). Called before the page reads them."""
    state = st.session_state.get(group) or {}
    chosen = state.get("chosen") if isinstance(state, dict) else None
    if not isinstance(chosen, dict) or chosen.get("n") == st.session_state.get(f"{group}__taken"):
        return []
    st.session_state[f"{group}__taken"] = chosen.get("n")
    values = chosen.get("values")
    changed = []
    for key, value in (values.items() if isinstance(values, dict) else ()):
        if key in keys and isinstance(value, str) and st.session_state.get(key) != value:
            st.session_state[key] = value
            changed.append(key)
    return changed


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def value_of(choice: Choice) -> str:
    """The choice's value, made one of its options (its default when it was not)."""
    if choice.number:
        low, high, step = choice.number
        try:
            number = float(st.session_state.get(choice.key))
            if number != number:  # not a number
                raise ValueError
            number = min(high, max(low, number))
            if float(step).is_integer():  # whole steps: a whole number
                number = float(round(number))
            value = _number_text(number)
        except (TypeError, ValueError):
            value = _number_text(float(choice.default))
        st.session_state[choice.key] = value
        return value
    options = [str(o) for o in choice.options]
    value = st.session_state.get(choice.key)
    if value not in options:
        value = choice.default if choice.default in options else options[0] if options else ""
        st.session_state[choice.key] = value
    return value


def choices(slot, group: str, fields: list[Choice], columns: int = 1, light: bool = False
            ) -> dict[str, str]:
    """Draws `fields` in `slot` (st, st.sidebar or a column) as one group of native controls,
    `columns` to a row; each field's value (key -> value). `light`: white controls (on the
    sidebar's grey). Call take_changes(group, keys) first when an earlier field decides a later one's
    options."""
    take_changes(group, [choice.key for choice in fields])
    values = {choice.key: value_of(choice) for choice in fields}
    data = {"group": group, "columns": columns, "tone": "light" if light else "",
            "fields": [{"key": c.key, "label": c.label, "help": c.help, "disabled": c.disabled,
                        "radio": c.radio, "number": c.number, "value": values[c.key],
                        "options": [[str(o), c.text(o)] for o in c.options]} for c in fields]}
    if slot is st:
        _group(key=group, data=data, on_chosen_change=lambda: None)
    else:
        with slot:
            _group(key=group, data=data, on_chosen_change=lambda: None)
    return values
