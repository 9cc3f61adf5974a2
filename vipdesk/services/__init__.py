"""The domain: plain Python over the models, no Qt. Every public function returns plain data."""
