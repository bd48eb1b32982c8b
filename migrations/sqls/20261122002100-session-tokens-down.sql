drop type app_private.rotation_outcome;
