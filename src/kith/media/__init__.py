"""Media: uploads (images, voice notes, files), their storage, and who may fetch them."""
