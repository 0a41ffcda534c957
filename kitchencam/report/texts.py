"""Every sentence of the handover minutes, in one place for a translator to check.

The report's language is its own (``kitchencam report --lang``), not the UI's, so the strings
are looked up in the catalogue of that language here, once per report. Message ids are English
like the rest of kitchencam (``kitchencam/locale/vi/LC_MESSAGES/kitchencam.po`` holds the
Vietnamese); the Vietnamese wording of the national header, the title, "Căn cứ", "Bên giao",
"Bên nhận" and "Ký, ghi rõ họ tên" follows the usual form of Vietnamese administrative documents.
"""

from __future__ import annotations

from kitchencam.i18n import normalise, translator

# Where each label is used: texts(lang)["key"]. Placeholders are str.format fields.


def texts(lang: str) -> dict[str, str]:
    """The report's sentences and labels in ``lang`` ("vi" or "en")."""
    _ = translator(normalise(lang)).gettext
    return {
        # The national header (Quốc hiệu, Tiêu ngữ) and the place and date line.
        "nation": _("SOCIALIST REPUBLIC OF VIET NAM"),
        "motto": _("Independence - Freedom - Happiness"),
        "place_date": _("{city}, {month_name} {day}, {year}"),
        "date_long": _("{month_name} {day}, {year}"),
        "title": _("MINUTES OF HANDOVER OF KITCHEN SURVEILLANCE CAMERA EQUIPMENT"),
        "at_school": _("At: {school}"),
        "doc_subject": _("Handover of kitchen surveillance cameras, {school}"),
        # Legal basis.
        "basis_letter": _("Pursuant to letter no. {number} of {date} of {issuer} on {subject};"),
        "basis_letter_short": _("Pursuant to letter no. {number} of {date} of {issuer};"),
        "basis_no_letter": _("Pursuant to the district's letter on kitchen cameras (not recorded in the site "
                             "config: add letter: to it);"),
        "basis_work": _("Based on the installation, set-up and checks of the equipment at {school};"),
        "intro": _("Today, {date}, at {school}, the undersigned:"),
        # The parties.
        "party_supplier": _("A. HANDING OVER PARTY (food supplier)"),
        "party_school": _("B. RECEIVING PARTY (school)"),
        "party_district": _("C. WITNESS (district education office)"),
        "representative": _("Representative"),
        "position": _("Position"),
        "address": _("Address"),
        "phone": _("Phone"),
        "not_configured": _("(not in the site config)"),
        "no_parties": _("The parties are not in the site config yet (parties: in site.yaml, see kitchencam site "
                        "init); fill them in by hand."),
        "agree": _("The parties hand over and receive the kitchen surveillance camera equipment as follows:"),
        # I. Equipment.
        "sec_equipment": _("I. EQUIPMENT HANDED OVER"),
        "col_no": _("No."),
        "col_device": _("Device"),
        "col_make_model": _("Manufacturer, model"),
        "col_serial": _("Serial number"),
        "col_serial_mac": _("Serial number, MAC address"),
        "col_location": _("Install location"),
        "col_firmware": _("Firmware"),
        "col_condition": _("Condition"),
        "device_camera": _("IP camera"),
        "not_recorded": _("not recorded"),
        "no_cameras": _("No camera is recorded for this site: run kitchencam discover and kitchencam check first."),
        "cond_ok": _("Working, meets the requirements"),
        "cond_fail": _("Working, fails: {rules}"),
        "cond_warn": _("Working, with warnings: {rules}"),
        "cond_fail_open": _("Working, fails: {rules}; still to confirm: {open}"),
        "cond_incomplete": _("Working, still to confirm: {rules}"),
        "cond_error": _("Could not be read: {code}"),
        "cond_unchecked": _("Not checked"),
        # II. Per camera.
        "sec_cameras": _("II. SET-UP AND TECHNICAL CHECKS OF EACH CAMERA"),
        "camera_heading": _("Camera {n}: {make_model}, serial {serial}"),
        "camera_at": _("Address on the school network: {address}"),
        "h_settings": _("1. Settings applied"),
        "h_verdicts": _("2. Checks against the required specification"),
        "h_attest": _("3. Technician's attestations"),
        "h_snapshot": _("4. Picture taken from the camera at provisioning"),
        "h_rtsp": _("5. Video stream check (RTSP)"),
        "h_registration": _("6. Connection to the district's operations centre"),
        # What the camera's own vendor API told (issue 14): a part of its own, after the checks.
        "h_vendor": _("2a. Settings read through the camera's own API ({api})"),
        "vendor_intro": _("Read through the {api} at {time}, with the same account as ONVIF. These settings are not "
                          "visible over ONVIF."),
        "vendor_col_state": _("State on the camera"),
        "vendor_col_call": _("Read by"),
        "vendor_main_codec": _("Main stream codec"),
        "vendor_smart_codec": _("Smart codec (H.265+)"),
        "set_smart_codec": _("Smart codec (H.265+)"),
        # provision's security step (issue 16)
        "set_login_lock": _("Login lock after failed logins"),
        "set_login_lock_attempts": _("Login lock: failed logins before it locks"),
        "set_login_lock_minutes": _("Login lock: minutes locked"),
        "set_p2p": _("Vendor P2P/cloud service"),
        "vendor_on": _("on"),
        "vendor_off": _("off"),
        "col_setting": _("Setting"),
        "col_before": _("Before"),
        "col_after": _("After"),
        "col_result": _("Result"),
        "provisioned_at": _("Set by kitchencam provision at {time}; the settings before were backed up at {backup} "
                            "(kitchencam rollback restores them)."),
        "provisioned_at_nobackup": _("Checked by kitchencam provision at {time}."),
        "prov_noop": _("Nothing to change: the camera was already set as required."),
        "prov_state": _("Outcome: {state}."),
        "prov_missing": _("Not provisioned: kitchencam provision has not run for this camera."),
        "prov_rolled_back": _("The settings were put back as before by kitchencam rollback at {time}."),
        "prov_problems": _("Problems found when reading the settings back: {problems}"),
        "prov_error": _("Provisioning could not work on the camera: {message}"),
        "prov_no_details": _("(details not recorded)"),
        "col_rule": _("Criterion"),
        "col_verdict": _("Verdict"),
        "col_seen": _("Seen"),
        "col_required": _("Required"),
        "col_evidence": _("Evidence source"),
        "checked_at": _("Checked at {time} by kitchencam {command}, profile {profile}."),
        "check_missing": _("Not checked: kitchencam check has not run for this camera."),
        "check_error": _("The camera could not be read: {message}"),
        "attested_note": _("attested {answer} by {by}, {time}"),
        "attested_by_note": _("attested by {by}, {time}"),
        "from_check": _("verdict of the check at {time}"),
        "col_answer": _("Answer"),
        "col_by": _("By"),
        "col_time": _("Time"),
        "yes": _("yes"),
        "no": _("no"),
        "attest_none": _("No attestation recorded for this camera."),
        "snapshot_caption": _("Taken at {time}; source: {source}; SHA-256: {sha256}"),
        "snapshot_missing": _("No picture: the camera has not been provisioned with kitchencam provision."),
        "snapshot_failed": _("No picture could be taken ({time}): {error}"),
        "rtsp_result": _("Codec {codec}, resolution {width}x{height}, {fps} frames/s (read from the stream at "
                         "provisioning)."),
        "rtsp_missing": _("Not checked: the stream is checked by kitchencam provision."),
        "reg_sent": _("Registered at {time}; the centre's device id: {device_id}."),
        "reg_queued": _("Queued, not yet accepted by the centre (kitchencam sync sends it){error}."),
        "reg_rejected": _("Rejected by the centre: {error}."),
        "reg_missing": _("Not registered: no registration of this camera is recorded (kitchencam register "
                         "sends it, once the camera passes the checks)."),
        "last_error": _("; last error: {error}"),
        # III. Site.
        "sec_site": _("III. THE SCHOOL'S INTERNET UPLINK"),
        "bw_result": _("Sustained upload measured at {time}: mean {mean} Mbit/s, 10th percentile {p10} Mbit/s."),
        "bw_carries": _("It carries {n} camera(s) at the profile's main-stream cap of {cap} kbit/s (with protocol "
                        "overhead and headroom); the school has {m} camera(s)."),
        "bw_missing": _("Not measured: kitchencam bandwidth has not run for this school."),
        # IV. Conclusion.
        "sec_conclusion": _("IV. CONCLUSION"),
        "summary": _("Cameras handed over: {n}. Meeting every requirement checked: {passed}; failing at least "
                     "one: {failed}; still needing a check or a confirmation: {other}."),
        "open_items": _("Items still open (to fix or to confirm): {n}."),
        "no_open_items": _("No item is still open."),
        "open_camera": _("Camera {n}: {condition}."),
        "camera_condition": _("Condition of this camera: {condition}."),
        "missing_title": _("Stages not done yet:"),
        "missing_line": _("Camera {n} ({serial}): {stages}"),
        "closing_received": _("The receiving party has checked and received the equipment listed above, in the "
                              "condition described in these minutes."),
        "closing_copies": _("These minutes are made in three (03) copies of equal validity; each party keeps one "
                            "(01) copy."),
        "sign_supplier": _("FOR THE HANDING OVER PARTY"),
        "sign_school": _("FOR THE RECEIVING PARTY"),
        "sign_district": _("FOR THE WITNESS"),
        "sign_hint": _("(Signature and full name)"),
        "page": _("Page {page} of {pages}"),
        "footer": _("Made with kitchencam {version} from the records of site {site}. Times are Viet Nam time "
                    "(UTC+7)."),
        # Stage names (what was missing).
        "stage_inventory": _("not discovered"),
        "stage_check": _("not checked"),
        "stage_provision": _("not provisioned"),
        "stage_snapshot": _("no picture"),
        "stage_rtsp": _("stream not checked"),
        "stage_registration": _("not registered"),
        "stage_bandwidth": _("uplink not measured"),
        "stage_parties": _("parties not in the site config"),
        "stage_letter": _("letter not in the site config"),
        # Verdicts and evidence.
        "PASS": _("Pass"),
        "FAIL": _("Fail"),
        "WARN": _("Warning"),
        "MANUAL": _("Needs attestation"),
        "UNKNOWN": _("Unknown"),
        "ev_device": _("Device (ONVIF)"),
        "ev_catalogue": _("Model catalogue"),
        "ev_technician": _("Technician"),
        "ev_site": _("Site"),
        "ev_none": _("None"),
        # Provisioning step outcomes and states.
        "step_done": _("Applied"),
        "step_failed": _("Failed"),
        "step_planned": _("Not applied"),
        "step_skipped": _("Skipped"),
        "state_provisioned": _("provisioned and verified"),
        "state_no-op": _("already as required"),
        "state_failed": _("not fully provisioned"),
        "state_planned": _("planned only"),
        "state_rolled-back": _("rolled back"),
        # Settings provisioning changes.
        "set_ntp": _("Time server (NTP)"),
        "set_timezone": _("Time zone"),
        "set_clock": _("Clock"),
        "set_wdr": _("Wide dynamic range (WDR)"),
        "set_wdr_level": _("WDR level"),
        "set_ir_cut": _("IR-cut filter"),
        "set_encoding": _("Compression"),
        "set_resolution": _("Resolution"),
        "set_fps": _("Frames per second"),
        "set_bitrate_kbps": _("Bit rate (kbit/s)"),
        "set_gov_length": _("I-frame interval (GOP)"),
        "set_rate_control": _("Bit rate control"),
        "set_hostname": _("Device name"),
        "set_centre_account": _("Account for the district centre"),
        "centre_account_target": _("{user} ({level}), password in the keyring"),
        "centre_account_unknown": _("exists, password unknown here"),
        "time_manual": _("set by hand"),
        "no_site_config": _("(no site config)"),
    }


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
