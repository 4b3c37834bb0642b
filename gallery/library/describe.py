"""How a photo's camera and exposure read on its page: "Canon EOS R6", "1/250 s, f/2.8, ISO 400, 35 mm"."""


def camera_name(make, model):
    """The camera as people name it: the model, after the make unless the model already starts with it."""
    if not model:
        return make or ""
    if not make or model.lower().startswith(make.split()[0].lower()):
        return model
    return f"{make} {model}"


def exposure_time(seconds):
    """1/250 s for a fraction of a second that is one (within 5%), else seconds to three figures."""
    if seconds < 1:
        denominator = round(1 / seconds)
        if abs(1 / denominator - seconds) <= 0.05 * seconds:
            return f"1/{denominator} s"
    return f"{seconds:.3g} s"


def exposure_summary(photo):
    """Exposure time, f-number, ISO and focal length, those known, as a photographer writes them."""
    parts = [
        photo.exposure_time and exposure_time(photo.exposure_time),
        photo.f_number and f"f/{round(photo.f_number, 1):g}",
        photo.iso and f"ISO {photo.iso}",
        photo.focal_length and f"{round(photo.focal_length, 1):g} mm",
    ]
    return ", ".join(part for part in parts if part)
