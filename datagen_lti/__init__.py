"""datagen-lti: individualized, reproducible datasets for every learner, inside the LMS."""
