"""lstm_demo: train, load and look inside the recurrent networks of the demo app.

The package never imports streamlit (the app in ``streamlit_app.py`` and
``pages/`` does) and never imports tflearn (only ``examples/`` does, in their
own processes). TensorFlow is imported lazily, only by the modules that build
or train Keras models, so the NumPy inspector runs without it.
"""

__version__ = "0.1.0"
