"""The course site's build tools: the lesson executor (`course_site.lessons`) and the lesson
pages' launch links (`course_site.launch`). Not part of the finlstm library."""

__all__ = ["launch", "lessons"]
