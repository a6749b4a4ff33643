"""The only streamlit-aware part of leaddash: cached engine, login, navigation, errors."""
