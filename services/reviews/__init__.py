"""Reviews: serious incidents, rapid reviews, practice reviews, audits and their action plans."""
