"""CSV export of one input and its per-step values, for the app's download button."""

from __future__ import annotations

import csv
import io

from lstm_demo.inspector import Trace


def trace_to_csv(trace: Trace, step_inputs: list[str], class_names, layer: int, quantity: str) -> str:
    """Write one CSV row per step read: the input at that step, the per-step probabilities and one quantity of one layer.

    `step_inputs` describes what each step read (a word, or an image row's pixel values).
    """
    values = trace.layers[layer][quantity][: trace.length]  # (steps read, units)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["step", "input"] + [f"p_{name}" for name in class_names]
    header += [f"{quantity}_layer{layer + 1}_unit{unit}" for unit in range(values.shape[1])]
    writer.writerow(header)
    for step in range(trace.length):
        row = [step + 1, step_inputs[step] if step < len(step_inputs) else ""]
        row += [f"{value:.6f}" for value in trace.step_probabilities[step]]
        row += [f"{value:.6f}" for value in values[step]]
        writer.writerow(row)
    return buffer.getvalue()
